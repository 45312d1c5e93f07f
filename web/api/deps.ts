// What the API's routes are built from: the composition root (`startWeb`, tests) passes these in.
import type Koa from 'koa';
import type { Config } from '../../lib/config.ts';
import type { MediaProvider } from '../../providers/media/provider.ts';
import type { Auth } from './auth.ts';
import type { Route } from './openapi.ts';
import type { TaskDeps } from './tasks.ts';

export interface ApiDeps extends TaskDeps {
  config: Config;
  temporalAddress: string;
  /** The configured media source, reported by /api/health. */
  media?: MediaProvider;
  /** API_TOKEN checks, sessions and the login rate limit of this app. */
  auth: Auth;
}

export type ApiRoute = Route<Koa.Context>;
