// The login form of a protected API (API_TOKEN set): exchanges the token for the session cookie.
import { api, ApiFailure } from './api.ts';
import { byId, h } from './dom.ts';

/** Shows the form in place of the page; resolves once the server accepted the token. */
export function askForLogin(): Promise<void> {
  const root = byId('login');
  const input = h('input', {
    id: 'login-token',
    type: 'password',
    name: 'token',
    autocomplete: 'current-password',
    required: true,
  });
  const error = h('p', { class: 'field-error', id: 'login-error', role: 'alert' });
  const button = h('button', { type: 'submit' }, 'Log in');
  const form = h(
    'form',
    { class: 'card login' },
    h('h2', {}, 'Log in'),
    h('p', {}, 'This AudioMuse is protected: enter the value of its API_TOKEN.'),
    h('div', { class: 'field' }, h('label', { for: 'login-token' }, 'API token'), input),
    error,
    button,
  );
  root.replaceChildren(form);
  root.hidden = false;
  byId('app').hidden = true;
  input.focus();
  return new Promise((resolve) => {
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      button.disabled = true;
      error.textContent = '';
      api('/api/login', { method: 'POST', body: { token: input.value } })
        .then(() => {
          root.hidden = true;
          byId('app').hidden = false;
          resolve();
        })
        .catch((err: unknown) => {
          error.textContent =
            err instanceof ApiFailure && err.status === 401
              ? 'Wrong token.'
              : err instanceof Error
                ? err.message
                : String(err);
          input.select();
        })
        .finally(() => {
          button.disabled = false;
        });
    });
  });
}
