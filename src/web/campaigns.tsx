import { Hono } from 'hono';
import type { WebEnv } from './context';

export const campaignPages = new Hono<WebEnv>();
