// The page's entry point: log in when the API asks for it, then the health strip, the media advice, the
// analysis profile, the analysis and clustering panels (with why songs are in no playlist), recent runs, schedules, playlists, the listening panel, people, radios and the map.
import './style.css';
import { showAnalysisProfile } from './analysis-profile.ts';
import { api, ApiFailure, whenUnauthorized, type TaskStatus } from './api.ts';
import { buildClusterForm, type ClusterForm } from './cluster-form.ts';
import { byId } from './dom.ts';
import { startHealth } from './health.ts';
import { showListening } from './listening.ts';
import { runExplanation } from './left-out.ts';
import { askForLogin } from './login.ts';
import { showMap } from './map.ts';
import { showMediaAdvice } from './media.ts';
import { showPeople } from './people.ts';
import { showPlaylists } from './playlists.ts';
import { showRadios } from './radios.ts';
import { runPanel, showRecentRuns, type RunPanel } from './runs.ts';
import { showSchedules } from './schedules.ts';

async function lastStatus(kind: 'analysis' | 'clustering'): Promise<TaskStatus | undefined> {
  const { runs } = await api<{ runs: { id: string }[] }>(`/api/runs?limit=1&kind=${kind}`);
  return runs[0] && api<TaskStatus>(`/api/status/${encodeURIComponent(runs[0].id)}`);
}

/** Shows the running task of a kind live, else how its last run ended. */
async function resume(panel: RunPanel, kind: 'analysis' | 'clustering', active: TaskStatus[]): Promise<void> {
  const running = active.find((t) => t.task_type === (kind === 'analysis' ? 'main_analysis' : 'main_clustering'));
  if (running) return panel.watch(running.task_id);
  const last = await lastStatus(kind);
  if (last) panel.show(last);
}

async function startApp(): Promise<void> {
  const health = startHealth();
  await health.refresh();
  void showMediaAdvice();

  void showAnalysisProfile(byId('analysis-profile'));

  let form: ClusterForm | undefined;
  const analysis = runPanel({
    kind: 'analysis',
    root: byId('analysis-panel'),
    startLabel: 'Start analysis',
    start: async () => (await api<{ task_id: string }>('/api/analysis/start', { method: 'POST', body: {} })).task_id,
    onFinished: () => void Promise.all([showRecentRuns(), showMap()]), // new tracks move onto the map
    onAction: () => void showRecentRuns(),
  });
  const explanation = runExplanation(byId('clustering-result'));
  const clustering = runPanel({
    kind: 'clustering',
    root: byId('clustering-panel'),
    startLabel: 'Start clustering',
    async start() {
      const body = form?.body();
      if (!body) return undefined;
      try {
        return (await api<{ task_id: string }>('/api/clustering/start', { method: 'POST', body })).task_id;
      } catch (err) {
        if (err instanceof ApiFailure && err.status === 400 && form?.showServerError(err)) return undefined;
        throw err;
      }
    },
    onFinished(status) {
      void showRecentRuns();
      void showSchedules();
      if (status.state === 'SUCCESS') void Promise.all([showPlaylists(), showMap()]);
    },
    onAction: () => void showRecentRuns(),
    onShow: (status) => explanation.show(status),
  });

  const formRoot = byId('cluster-form');
  // Enter in a field starts the run like the button (and never reloads the page).
  formRoot.addEventListener('submit', (e) => {
    e.preventDefault();
    byId('clustering-start').click();
  });
  buildClusterForm(formRoot)
    .then((f) => {
      form = f;
    })
    .catch((err: unknown) => {
      formRoot.textContent = `The clustering form cannot be built: ${err instanceof Error ? err.message : String(err)}`;
    });
  void showRecentRuns();
  void showSchedules();
  void showPlaylists();
  showListening();
  void showPeople();
  void showRadios();
  void showMap();
  try {
    const active = await api<TaskStatus[]>('/api/active_tasks');
    await Promise.all([resume(analysis, 'analysis', active), resume(clustering, 'clustering', active)]);
  } catch (err) {
    // Temporal down: the banner says so; the panels say what they cannot do.
    const text = err instanceof Error ? err.message : String(err);
    analysis.message(text, true);
    clustering.message(text, true);
  }
}

async function main(): Promise<void> {
  const session = await api<{ authRequired: boolean; authenticated: boolean }>('/api/session');
  if (session.authRequired && !session.authenticated) await askForLogin();
  whenUnauthorized(() => void askForLogin().then(() => window.location.reload()));
  await startApp();
}

main().catch((err: unknown) => {
  byId('banner').hidden = false;
  byId('banner').textContent = err instanceof Error ? err.message : String(err);
});
