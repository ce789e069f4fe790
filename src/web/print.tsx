import { Hono } from 'hono';
import type { WebEnv } from './context';

export const printPages = new Hono<WebEnv>();
