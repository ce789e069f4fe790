// The SMS-and-email template the outbox tests and the dispatch benchmark send.

export const BODY = {
  purpose: 'test_drive',
  locale: 'zh-CN',
  sms: { text: '{{salutation}}，诚邀您本周末试驾新车：{{trackingUrl}}' },
  email: {
    subject: '{{salutation}}，诚邀您试驾',
    html: '<p>{{salutation}}，您好！</p><p>{{contact.vehicle.model}}</p><a href="{{trackingUrl}}">预约</a>',
    text: '{{salutation}}，您好！预约：{{trackingUrl}}',
  },
};
