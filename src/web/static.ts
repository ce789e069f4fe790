// The one client script every staff page loads (and the stylesheet). No
// framework: forms and buttons marked with data- attributes call the JSON API
// (or an /app fragment endpoint) with the session's CSRF token, show the
// error shape {error:{message,details}} next to the form, and follow up
// (reload, or go to a URL filled from the answer). Also: uploads with a
// progress bar, polled fragments (import progress, live waves) and live
// previews (segment counts).
//
//   <form data-api="/v1/segments" data-method="POST" data-then="/app/segments/{id}">
//     <input name="name"> <input name="limit" data-type="number">
//     <textarea name="rule" data-type="json"></textarea> <input name="waves.0.channel">
//   <button data-api="/v1/campaigns/ID/pause" data-confirm="Pause?">
//   <div data-poll="/app/lists/ID/progress" data-every="1000">   (stops when the fragment holds [data-done];
//        with data-state="S", reloads the page when the fragment's [data-state] differs)
//   <form data-upload="/v1/imports" data-then="/app/lists/{id}"> <input type=file name=file> <progress data-progress>
//   <form data-live="/app/segments/preview" data-target="#preview">
//   <form data-api=… data-then="none" data-result="#out" data-result-field="token">   (shows one field of the answer)
export const STAFF_JS = String.raw`(() => {
  'use strict';
  const csrf = () => (document.querySelector('meta[name=csrf-token]') || {}).content || '';
  const locale = (document.querySelector('meta[name=locale]') || {}).content || 'zh-CN';
  const say = (zh, en) => (locale === 'en' ? en : zh);

  function setPath(obj, path, value) {
    const keys = path.split('.');
    let o = obj;
    keys.forEach((k, i) => {
      const last = i === keys.length - 1;
      const nextIsIndex = !last && /^\d+$/.test(keys[i + 1]);
      if (last) o[k] = value;
      else o = o[k] !== undefined ? o[k] : (o[k] = nextIsIndex ? [] : {});
    });
  }

  /** The form's fields as JSON: data-type number | json | bool | array | lines; empty fields left out. */
  function formJson(form) {
    const out = {};
    for (const el of form.elements) {
      if (!el.name || el.disabled || el.type === 'file' || el.type === 'submit' || el.type === 'button') continue;
      const type = el.dataset.type || '';
      if (el.type === 'radio' && !el.checked) continue;
      if (el.type === 'checkbox') {
        if (type === 'array') {
          const cur = form.__arrays || (form.__arrays = {});
          const list = cur[el.name] || (cur[el.name] = []);
          if (el.checked) list.push(el.value);
          setPath(out, el.name, list);
        } else setPath(out, el.name, el.checked);
        continue;
      }
      if (el.multiple && el.tagName === 'SELECT') {
        setPath(out, el.name, Array.from(el.selectedOptions).map((o) => o.value));
        continue;
      }
      const raw = el.value;
      if (raw === '' && !('keepEmpty' in el.dataset)) continue;
      let v = raw;
      if (type === 'number') v = Number(raw);
      else if (type === 'json') {
        try { v = JSON.parse(raw); } catch (e) { throw new Error(el.name + ': ' + say('不是有效的 JSON', 'is not valid JSON') + ' (' + e.message + ')'); }
      } else if (type === 'lines') v = raw.split(/[\n,，]/).map((s) => s.trim()).filter(Boolean);
      setPath(out, el.name, v);
    }
    delete form.__arrays;
    return out;
  }

  async function call(method, url, body) {
    const headers = { 'x-csrf-token': csrf(), accept: 'application/json' };
    const init = { method, headers, credentials: 'same-origin' };
    if (body !== undefined) { headers['content-type'] = 'application/json'; init.body = JSON.stringify(body); }
    const res = await fetch(url, init);
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = text; }
    return { ok: res.ok, status: res.status, data };
  }

  // The API answers in English (integrations read it); the Chinese pages say
  // the messages staff meet at the counter in Chinese: by error code where
  // the message carries details, by the message itself where it is fixed.
  const ZH_BY_CODE = {
    survey_already_entered: (e) => {
      const x = e.details && e.details.existing;
      const when = x && x.enteredAt ? new Date(x.enteredAt).toLocaleDateString('zh-CN') + ' ' : '';
      return '这张卡片已于 ' + when + (x && x.source === 'online' ? '在线填写' : '从寄回的卡片录入') + '；如需替换答案，请作为更正提交。';
    },
  };
  const ZH_TEXT = {
    'printed piece with this response code not found': '没有此回执码的已印刷邮件。',
    'this piece was printed without a survey': '这张邮件印刷时没有附问卷。',
    'some answers do not fit the card': '有些答案与卡片不符：',
    'no question is answered': '没有勾选或填写任何答案',
    'no such question on this card': '卡片上没有这个问题',
    'no printed piece has this response code': '没有此回执码的已印刷邮件',
    'no printed piece has this id': '没有此编号的已印刷邮件',
    'this piece was not printed': '此邮件未印刷',
    'not a piece id': '不是邮件编号',
    'empty': '空白',
  };
  const local = (text) => (locale === 'en' || !text ? text : ZH_TEXT[text] || text);

  function errorText(r) {
    if (r.status === 401) return say('登录已过期，请重新登录。', 'Your session has ended; sign in again.');
    const e = r.data && r.data.error;
    if (!e) return say('请求失败', 'Request failed') + ' (' + r.status + ')';
    let msg = locale !== 'en' && ZH_BY_CODE[e.code] ? ZH_BY_CODE[e.code](e) : local(e.message);
    // (A detail that only repeats the message adds nothing.)
    if (Array.isArray(e.details)) for (const d of e.details.slice(0, 20)) if (d && (d.path || d.message) && d.message !== e.message) msg += '\n• ' + [d.row ? say('第 ', 'row ') + d.row + say(' 行', '') : '', d.path || d.column || '', local(d.message || d.reason || '')].filter(Boolean).join(' ');
    return msg;
  }

  function showError(scope, text) {
    const box = (scope && scope.querySelector('[data-error]')) || document.getElementById('page-error');
    if (box) { box.textContent = text; box.hidden = false; box.scrollIntoView({ block: 'nearest' }); } else alert(text);
  }
  function clearError(scope) {
    const box = scope && scope.querySelector('[data-error]');
    if (box) { box.hidden = true; box.textContent = ''; }
  }

  function fill(template, data) {
    return template.replace(/\{([\w.]+)\}/g, (_, path) => {
      const v = path.split('.').reduce((o, k) => (o == null ? o : o[k]), data);
      return encodeURIComponent(v == null ? '' : String(v));
    });
  }

  function follow(el, data) {
    const then = el.dataset.then || 'reload';
    if (then === 'none') return;
    if (then === 'reload') location.reload();
    else location.assign(fill(then, data || {}));
  }

  function showOk(el, data) {
    const target = el.dataset.ok && document.querySelector(el.dataset.ok);
    if (target) { target.hidden = false; target.textContent = el.dataset.okText || say('已保存', 'Saved'); }
    // data-result="#sel" data-result-field="token": show one field of the answer (as text), unhiding its box.
    const out = el.dataset.result && document.querySelector(el.dataset.result);
    if (out) {
      const v = (el.dataset.resultField || '').split('.').reduce((o, k) => (o == null ? o : o[k]), data);
      out.textContent = v == null ? '' : String(v);
      for (let box = out; box; box = box.parentElement) if (box.hidden) box.hidden = false;
    }
    el.dispatchEvent(new CustomEvent('api:done', { bubbles: true, detail: data }));
  }

  async function run(el, scope, body) {
    if (el.dataset.confirm && !confirm(el.dataset.confirm)) return;
    const buttons = scope.querySelectorAll ? scope.querySelectorAll('button') : [];
    buttons.forEach((b) => (b.disabled = true));
    if (el.tagName === 'BUTTON') el.disabled = true;
    clearError(scope);
    try {
      const r = await call((el.dataset.method || 'POST').toUpperCase(), el.dataset.api, body);
      if (!r.ok) { showError(scope, errorText(r)); return; }
      showOk(el, r.data);
      follow(el, r.data);
    } catch (e) {
      showError(scope, e.message || String(e));
    } finally {
      buttons.forEach((b) => (b.disabled = false));
      if (el.tagName === 'BUTTON') el.disabled = false;
    }
  }

  document.addEventListener('submit', (ev) => {
    const form = ev.target;
    if (form.matches('form[data-api]')) {
      ev.preventDefault();
      let body;
      try { body = form.hasAttribute('data-empty') ? undefined : formJson(form); } catch (e) { showError(form, e.message); return; }
      const transform = form.dataset.transform && window.staffTransforms && window.staffTransforms[form.dataset.transform];
      if (transform) { try { body = transform(body, form); } catch (e) { showError(form, e.message); return; } }
      run(form, form, body);
    } else if (form.matches('form[data-upload]')) {
      ev.preventDefault();
      upload(form);
    }
  });

  document.addEventListener('click', (ev) => {
    const btn = ev.target.closest('button[data-api]');
    if (!btn || btn.type === 'submit') return;
    ev.preventDefault();
    let body;
    if (btn.dataset.body) body = JSON.parse(btn.dataset.body);
    run(btn, btn.closest('section, form, main') || document.body, body);
  });

  function upload(form) {
    const input = form.querySelector('input[type=file]');
    const file = input && input.files && input.files[0];
    clearError(form);
    if (!file) { showError(form, say('请选择文件', 'Choose a file')); return; }
    const max = Number(form.dataset.max || 0);
    if (max && file.size > max) { showError(form, say('文件超过大小上限 ', 'The file is larger than the limit of ') + Math.round(max / 1048576) + ' MB'); return; }
    let url = form.dataset.upload;
    const params = new URLSearchParams();
    for (const el of form.elements) if (el.name && el.type !== 'file' && el.value !== '' && !el.disabled) params.append(el.name, el.value);
    if ([...params].length) url += (url.includes('?') ? '&' : '?') + params;
    const bar = form.querySelector('[data-progress]');
    const label = form.querySelector('[data-progress-label]');
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.setRequestHeader('x-csrf-token', csrf());
    xhr.setRequestHeader('content-type', file.type || 'text/csv');
    xhr.setRequestHeader('x-file-name', encodeURIComponent(file.name));
    xhr.upload.onprogress = (e) => {
      if (!e.lengthComputable) return;
      if (bar) { bar.hidden = false; bar.max = e.total; bar.value = e.loaded; }
      if (label) label.textContent = say('上传中 ', 'Uploading ') + Math.round((100 * e.loaded) / e.total) + '%';
    };
    form.querySelectorAll('button').forEach((b) => (b.disabled = true));
    xhr.onloadend = () => {
      form.querySelectorAll('button').forEach((b) => (b.disabled = false));
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
      if (xhr.status >= 200 && xhr.status < 300) { if (label) label.textContent = say('上传完成', 'Uploaded'); follow(form, data); }
      else showError(form, xhr.status === 0 ? say('网络错误，上传中断', 'Network error: the upload stopped') : errorText({ status: xhr.status, data }));
    };
    xhr.send(file);
  }

  function poll(el) {
    const every = Number(el.dataset.every || 2000);
    const tick = async () => {
      try {
        const res = await fetch(el.dataset.poll, { headers: { accept: 'text/html', 'x-fragment': '1' }, credentials: 'same-origin' });
        if (res.status === 401) { showError(null, errorText({ status: 401 })); return; }
        if (res.ok) {
          el.innerHTML = await res.text();
          el.dispatchEvent(new CustomEvent('poll:update', { bubbles: true }));
          // The fragment names a state the page was not drawn for (its buttons differ): redraw the page.
          const state = el.querySelector('[data-state]');
          if (state && el.dataset.state && state.getAttribute('data-state') !== el.dataset.state) { location.reload(); return; }
          if (el.querySelector('[data-done]')) return;
        }
      } catch (e) { /* network hiccup: try again */ }
      setTimeout(tick, every);
    };
    if (!el.querySelector('[data-done]')) setTimeout(tick, every);
  }

  function live(form) {
    let timer = null;
    let seq = 0;
    const target = document.querySelector(form.dataset.target);
    const go = async () => {
      const mine = ++seq;
      let body;
      try { body = formJson(form); } catch (e) { if (target) target.textContent = e.message; return; }
      const transform = form.dataset.transform && window.staffTransforms && window.staffTransforms[form.dataset.transform];
      if (transform) { try { body = transform(body, form); } catch (e) { if (target) target.textContent = e.message; return; } }
      const res = await fetch(form.dataset.live, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf(), 'x-fragment': '1' }, body: JSON.stringify(body), credentials: 'same-origin' });
      if (mine !== seq || !target) return;
      if (!res.ok && /json/.test(res.headers.get('content-type') || '')) {
        let data = null;
        try { data = await res.json(); } catch (e) { data = null; }
        target.textContent = errorText({ status: res.status, data });
        return;
      }
      target.innerHTML = await res.text();
      target.dispatchEvent(new CustomEvent('live:update', { bubbles: true }));
    };
    const schedule = () => { clearTimeout(timer); timer = setTimeout(go, Number(form.dataset.delay || 400)); };
    form.addEventListener('input', schedule);
    form.addEventListener('change', schedule);
    form.addEventListener('live:refresh', schedule);
    if (!('lazy' in form.dataset)) schedule();
  }

  const start = () => {
    document.querySelectorAll('[data-poll]').forEach(poll);
    document.querySelectorAll('form[data-live]').forEach(live);
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
  window.staff = { call, formJson, showError, clearError, errorText, local, say, csrf };
})();
`;
