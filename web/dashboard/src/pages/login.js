// The login form: POST /auth/login sets the session cookie and returns the CSRF token.
import { api } from '../api.js';
import { h, append } from '../dom.js';

export default async function login(root, { onLogin }) {
  const user = h('input', { name: 'user', autocomplete: 'username', required: true, autofocus: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const message = h('p', { class: 'form-error', role: 'alert' });
  const button = h('button', { class: 'btn', type: 'submit' }, 'Log in');
  const form = h('form', { class: 'login', onsubmit: submit },
    h('h1', {}, 'Mitsu', h('span', {}, ' SOC')),
    h('p', { class: 'muted' }, 'IoT threat intelligence'),
    h('label', {}, 'User', user), h('label', {}, 'Password', password), button, message);
  append(root, form);

  async function submit(e) {
    e.preventDefault();
    message.textContent = '';
    button.disabled = true;
    try {
      const principal = await api('auth/login', { method: 'POST', body: { user: user.value, password: password.value }, quiet401: true });
      onLogin(principal);
    } catch (err) {
      message.textContent = err.status === 401 ? 'Wrong user name or password.' : err.message;
      button.disabled = false;
    }
  }
}
