/**
 * Starting the agent again after an upgrade replaced its file. Under systemd (the unit install.sh writes
 * sets AW_AGENT_SUPERVISED=systemd) the agent exits with RESTART_EXIT_CODE and systemd starts the new file
 * (Restart=on-failure, RestartForceExitStatus=75). Otherwise it starts the new file itself, same arguments,
 * same terminal and process group, and exits: the new process takes its place (docs/agent.md).
 */
import { spawn } from 'node:child_process';
import type { Logger } from 'pino';

/** EX_TEMPFAIL: "try again", which is what the service manager is asked to do. */
export const RESTART_EXIT_CODE = 75;

export function restartAgent(log: Logger): void {
  if (process.env.AW_AGENT_SUPERVISED === 'systemd') {
    log.info({ exitCode: RESTART_EXIT_CODE }, 'upgraded: exiting for systemd to start the new agent');
    process.exit(RESTART_EXIT_CODE);
  }
  log.info("upgraded: starting the new agent in this one's place");
  const next = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
  next.once('spawn', () => process.exit(0));
  next.once('error', (err) => {
    log.fatal({ err }, 'could not start the upgraded agent');
    process.exit(RESTART_EXIT_CODE);
  });
}
