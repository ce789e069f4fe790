// The benchmark piece: the Spring Festival greeting panel with its reply card
// (survey questions, response code and QR code) as the second panel, from the
// built-in templates.
import { builtinTemplate } from '../src/templates/builtin';
import type { PrintBody } from '../src/templates/layout';

export function benchCard(): PrintBody {
  const spring = builtinTemplate('spring-festival-card')!.body;
  const reply = builtinTemplate('survey-reply-cn')!.body;
  return {
    ...spring,
    layout: { ...spring.layout, pages: [spring.layout.pages[0]!, reply.layout.pages.find((p) => p.name === 'questions')!] },
    texts: { ...spring.texts, ...reply.texts },
    survey: reply.survey,
  };
}
