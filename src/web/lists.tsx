import { Hono } from 'hono';
import type { WebEnv } from './context';

export const listPages = new Hono<WebEnv>();
