// The example stack as a PM2 ecosystem.config.js (needs `node` to be read).
const common = { kill_signal: 'SIGINT' };

module.exports = {
  apps: [
    {
      name: 'web',
      script: 'apps/web.py',
      ...common,
      kill_timeout: '3s',
      env: { PORT: 8000, GREETING: 'hello' },
      env_production: { PORT: 8080, GREETING: 'welcome' },
    },
    {
      name: 'worker',
      script: 'apps/worker.sh',
      depends_on: ['web'],
      restart_delay: 1000,
      kill_signal: 'SIGTERM',
      env: { WORKER_LABEL: 'dev' },
      env_production: { WORKER_LABEL: 'prod' },
    },
  ],
};
