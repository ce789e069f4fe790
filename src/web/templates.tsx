import { Hono } from 'hono';
import type { WebEnv } from './context';

export const templatePages = new Hono<WebEnv>();
