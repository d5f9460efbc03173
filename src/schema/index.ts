import { builder } from '../builder.ts';
import './scalars.ts';
import './server.ts';
import './api-key.ts';
import './overview.ts';
import './fleet-event.ts';
import './fleet-changes.ts';
import './viewer.ts';
import './heartbeat.ts';
import './alert-channels.ts';
import './alert-rules.ts';
import './silences.ts';
import './alerts.ts';
import './uptime.ts';
import './alert-marks.ts';
import './metrics.ts';

export const schema = builder.toSchema();
