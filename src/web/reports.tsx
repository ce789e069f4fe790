import { Hono } from 'hono';
import type { WebEnv } from './context';

export const reportPages = new Hono<WebEnv>();
