import { Hono } from 'hono';
import type { WebEnv } from './context';

export const segmentPages = new Hono<WebEnv>();
