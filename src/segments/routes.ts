import { Hono } from 'hono';
import type { AppEnv } from '../http/context';

export const segmentRoutes = new Hono<AppEnv>();
