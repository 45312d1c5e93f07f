// Each analysis process downloads into TEMP_DIR/w<pid>. A process killed with -9 cannot clean up, so every
// process removes the folders of processes that no longer exist when it starts.
import fs from 'node:fs';
import path from 'node:path';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function processTempDir(base: string): string {
  fs.mkdirSync(base, { recursive: true });
  for (const name of fs.readdirSync(base)) {
    const m = /^w(\d+)$/.exec(name);
    if (m && Number(m[1]) !== process.pid && !alive(Number(m[1])))
      fs.rmSync(path.join(base, name), { recursive: true, force: true });
  }
  const dir = path.join(base, `w${process.pid}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
