import { Hono } from 'hono';
import type { WebEnv } from './context';

export const surveyEntryPages = new Hono<WebEnv>();
