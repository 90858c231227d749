// The routes of sign-in, roles and Admin Mode reads, registered together so api/app.ts needs one line.
import type { FastifyPluginAsync } from 'fastify';
import { inviteRoutes } from './invites.js';
import { leaderRoutes } from './leaders.js';
import { meRoutes } from './me.js';
import { scheduleRoutes } from './schedules.js';
import { ssoRoutes } from './sso.js';
import { signInHelpRoutes } from './sign-in-help.js';
import { supportLoginRoutes } from './support-login.js';
import { termRoutes } from './terms.js';

export const signInRoutes: FastifyPluginAsync = async (app) => {
  await app.register(ssoRoutes);
  await app.register(supportLoginRoutes);
  await app.register(signInHelpRoutes);
  await app.register(meRoutes);
  await app.register(leaderRoutes);
  await app.register(termRoutes);
  await app.register(scheduleRoutes);
  await app.register(inviteRoutes);
};
