/**
 * The secret dialog, drawn by the enclave document in its own DOM: the person types a
 * passphrase (to unlock, or a new one twice), reads a recovery phrase and types back chosen
 * words, or enters a backup's passphrase or phrase; or uses a passkey, whose PRF output the
 * document obtains on their click (`passkey.ts`: "Use passkey" to unlock, "Create passkey" to
 * enroll one). What they enter goes to the key worker on its own channel only (`messages.ts`); the app hosts the frame but can neither read this
 * document nor type into it. Submitting counts as the person's answer only when the submit is a
 * trusted event and the dialog was verifiably there to be seen, by the same checks as the
 * consent dialog's (`visibility.ts`): a dialog that is covered, transparent, too small, off
 * screen or just shown or moved ends the question as `not-visible`.
 */
import type { ConsentOutcome, SecretAnswer, SecretAsk } from './messages';
import { createPasskey, type PasskeyOutcome, usePasskey } from './passkey';
import { VisibilityWatch } from './visibility';

/** Shortest new passphrase (the worker checks it again). */
export const MIN_PASSPHRASE_LENGTH = 10;

/** Plain words for what a secret dialog is for. */
function title(ask: SecretAsk): string {
  const origin = ask.origin;
  switch (ask.request.operation) {
    case 'enableVault':
      return ask.kind === 'new-passkey'
        ? `${origin} asks to lock its keys with a passkey. Create one:`
        : `${origin} asks to lock its keys with a passphrase. Choose one:`;
    case 'addUnlockMethod':
      if (ask.kind === 'unlock') {
        return `${origin} asks to add an unlock method. Unlock with a current one first:`;
      }
      return ask.kind === 'new-passkey' ? 'Create the new passkey:' : 'Choose the new passphrase:';
    case 'removeUnlockMethod':
      return `${origin} asks to remove an unlock method. Unlock to confirm:`;
    case 'exportBackup':
      return ask.kind === 'recovery-phrase'
        ? `${origin} asks for a backup of its keys. Write down this recovery phrase: it is the only way to open the backup.`
        : `${origin} asks for a backup of its keys. Choose a passphrase for the backup file:`;
    case 'importBackup':
      if (ask.kind === 'existing-keys') {
        return `${origin} restores a backup holding keys that already exist here. Keep the keys here (skip those of the backup), or replace them with the backup's?`;
      }
      return `${origin} asks to restore keys from a backup. Enter the backup's passphrase or recovery phrase:`;
    default:
      if (ask.passphrase === false) return `${origin} asks to unlock its keys. Use your passkey:`;
      return (ask.passkeys ?? []).length > 0
        ? `${origin} asks to unlock its keys. Enter your passphrase or use your passkey:`
        : `${origin} asks to unlock its keys. Enter your passphrase:`;
  }
}

/**
 * How to read a dialog's answer when it is submitted: what the person entered, what is wrong
 * (a string, shown), or a passkey ceremony to run (a function).
 */
type Reader = () =>
  | Omit<SecretAnswer, 'type' | 'id' | 'outcome'>
  | string
  | (() => Promise<PasskeyOutcome>);

/** The secret dialog of one enclave document. */
export class SecretDialog {
  readonly #root: HTMLElement;
  readonly #title: HTMLElement;
  readonly #body: HTMLElement;
  readonly #error: HTMLElement;
  readonly #submit: HTMLButtonElement;
  readonly #visibility = new VisibilityWatch();
  #open: {
    readonly ask: SecretAsk;
    readonly answer: (answer: Omit<SecretAnswer, 'type' | 'id'>) => void;
    readonly read: Reader;
  } | null = null;

  /** Build the (hidden) dialog in `document.body`. */
  constructor() {
    const root = document.createElement('div');
    root.id = 'secret';
    root.className = 'consent';
    root.hidden = true;
    root.setAttribute('role', 'dialog');
    root.setAttribute('aria-modal', 'true');
    root.setAttribute('aria-labelledby', 'secret-title');
    const text = document.createElement('div');
    text.className = 'consent-text';
    const heading = document.createElement('h1');
    heading.id = 'secret-title';
    const body = document.createElement('div');
    body.id = 'secret-body';
    const error = document.createElement('p');
    error.id = 'secret-error';
    error.setAttribute('role', 'alert');
    text.append(heading, body, error);
    const buttons = document.createElement('div');
    buttons.className = 'consent-buttons';
    const cancel = document.createElement('button');
    cancel.type = 'button';
    cancel.id = 'secret-cancel';
    cancel.textContent = 'Cancel';
    const submit = document.createElement('button');
    // Not a form submission: the sandbox (no `allow-forms`) blocks those.
    submit.type = 'button';
    submit.id = 'secret-submit';
    submit.textContent = 'Continue';
    buttons.append(cancel, submit);
    root.append(text, buttons);
    document.body.append(root);
    this.#root = root;
    this.#title = heading;
    this.#body = body;
    this.#error = error;
    this.#submit = submit;
    cancel.addEventListener('click', () => this.#finish({ outcome: 'declined' }));
    root.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.#finish({ outcome: 'declined' });
      else if (event.key === 'Enter' && event.target instanceof HTMLInputElement) {
        event.preventDefault();
        this.#onSubmit(event);
      }
    });
    submit.addEventListener('click', (event) => this.#onSubmit(event));
  }

  /** Show `ask`; `answer` gets the outcome (and the secret) once. */
  show(ask: SecretAsk, answer: (answer: Omit<SecretAnswer, 'type' | 'id'>) => void): void {
    if (this.#open) this.#finish({ outcome: 'declined' });
    this.#title.textContent = title(ask);
    this.#error.textContent = '';
    this.#body.replaceChildren();
    this.#submit.textContent = ask.kind === 'new-passkey' ? 'Create passkey' : 'Continue';
    this.#submit.hidden = ask.kind === 'unlock' && ask.passphrase === false;
    this.#submit.disabled = false;
    const read = this.#fields(ask);
    if (ask.keys && ask.keys.length > 0) {
      const leaving = document.createElement('p');
      leaving.id = 'secret-keys';
      leaving.textContent = `${ask.keys.length} key(s) leave in the backup file: ${ask.keys.join(', ')}.`;
      this.#body.prepend(leaving);
    }
    this.#root.hidden = false;
    document.documentElement.dataset.secret = 'open';
    this.#open = { ask, answer, read };
    this.#visibility.start(this.#root);
    this.#root.querySelector('input')?.focus();
  }

  /** Hide the question `id` (timed out, or answered). */
  close(id: string): void {
    if (this.#open?.ask.id === id) this.#hide();
  }

  #input(id: string, label: string, type: 'password' | 'text'): HTMLInputElement {
    const wrapper = document.createElement('label');
    wrapper.textContent = label;
    const input = document.createElement('input');
    input.id = id;
    input.type = type;
    input.autocomplete = type === 'password' ? 'current-password' : 'off';
    input.spellcheck = false;
    wrapper.append(input);
    this.#body.append(wrapper);
    return input;
  }

  /** A radio button of the dialog's one group, labelled `label`. */
  #radio(id: string, label: string): HTMLInputElement {
    const wrapper = document.createElement('label');
    const input = document.createElement('input');
    input.id = id;
    input.type = 'radio';
    input.name = 'secret-choice';
    wrapper.append(input, ` ${label}`);
    this.#body.append(wrapper);
    return input;
  }

  /**
   * "Use passkey": a button that, on a click that passes the visibility checks, obtains the
   * PRF output of one of `ask.passkeys`.
   */
  #passkeyButton(ask: SecretAsk): void {
    const passkeys = ask.passkeys ?? [];
    const button = document.createElement('button');
    button.type = 'button';
    button.id = 'secret-passkey';
    button.textContent = 'Use passkey';
    button.addEventListener('click', (event) => this.#ceremony(event, () => usePasskey(passkeys)));
    this.#body.append(button);
  }

  /** Build the fields of `ask` and return how to read them (a string: what is wrong). */
  #fields(ask: SecretAsk): Reader {
    switch (ask.kind) {
      case 'unlock': {
        if ((ask.passkeys ?? []).length > 0) this.#passkeyButton(ask);
        if (ask.passphrase === false) return () => 'Use your passkey.';
        const input = this.#input('secret-passphrase', 'Passphrase', 'password');
        return () => (input.value ? { passphrase: input.value } : 'Enter the passphrase.');
      }
      case 'new-passkey': {
        const request = ask.newPasskey;
        const note = document.createElement('p');
        note.textContent =
          'Your device will ask you to confirm (fingerprint, face, PIN or security key). ' +
          'Without this passkey or another unlock method, these keys and what they protect are lost.';
        this.#body.append(note);
        return request ? () => () => createPasskey(request, ask.origin) : () => 'No passkey asked.';
      }
      case 'new-passphrase': {
        const first = this.#input('secret-new', 'New passphrase', 'password');
        first.autocomplete = 'new-password';
        const again = this.#input('secret-repeat', 'Repeat it', 'password');
        again.autocomplete = 'new-password';
        const note = document.createElement('p');
        note.textContent =
          'Nobody can recover it for you: without it, these keys and what they protect are lost.';
        this.#body.append(note);
        return () => {
          if (first.value.length < MIN_PASSPHRASE_LENGTH) {
            return `Use at least ${MIN_PASSPHRASE_LENGTH} characters.`;
          }
          if (first.value !== again.value) return 'The two passphrases differ.';
          return { passphrase: first.value };
        };
      }
      case 'recovery-phrase': {
        const words = ask.words ?? [];
        const list = document.createElement('ol');
        list.id = 'secret-words';
        list.className = 'secret-words';
        for (const word of words) {
          const item = document.createElement('li');
          item.textContent = word;
          list.append(item);
        }
        this.#body.append(list);
        const confirm = (ask.confirm ?? []).map((position) =>
          this.#input(`secret-word-${position + 1}`, `Word ${position + 1}`, 'text'),
        );
        return () => {
          const ok = confirm.every(
            (input, i) => input.value.trim().toLowerCase() === words[ask.confirm?.[i] ?? -1],
          );
          return ok ? {} : 'Some words do not match the phrase above.';
        };
      }
      case 'existing-keys': {
        const existing = ask.existing ?? [];
        const list = document.createElement('p');
        list.id = 'secret-existing';
        list.textContent = `${existing.length} key(s) of the backup exist here: ${existing.join(', ')}.`;
        this.#body.append(list);
        const skip = this.#radio('secret-skip', 'Keep the keys here; skip these in the backup');
        skip.checked = true;
        const replace = this.#radio(
          'secret-replace',
          'Replace them with the backup’s (the keys here are destroyed)',
        );
        return () => ({ choice: replace.checked ? 'replace' : 'skip' });
      }
      case 'backup-secret': {
        const passphrase = this.#input('secret-passphrase', 'Backup passphrase', 'password');
        const phrase = document.createElement('label');
        phrase.textContent = 'or the 24-word recovery phrase';
        const area = document.createElement('textarea');
        area.id = 'secret-phrase';
        area.spellcheck = false;
        area.autocomplete = 'off';
        phrase.append(area);
        this.#body.append(phrase);
        return () => {
          const words = area.value.trim().split(/\s+/).filter(Boolean);
          if (words.length > 0) return { words };
          return passphrase.value
            ? { passphrase: passphrase.value }
            : 'Enter the passphrase or the recovery phrase.';
        };
      }
    }
  }

  #onSubmit(event: Event): void {
    const open = this.#open;
    if (!open) return;
    const refusal = this.#visibility.refusal(event);
    document.documentElement.dataset.secretRefusal = refusal ?? '';
    if (refusal !== null) {
      this.#finish({ outcome: 'not-visible' });
      return;
    }
    const read = open.read();
    if (typeof read === 'string') {
      this.#error.textContent = read;
      return;
    }
    if (typeof read === 'function') {
      this.#run(read);
      return;
    }
    this.#finish({ outcome: 'approved', ...read });
  }

  /** A passkey button's click: the visibility checks, then the WebAuthn ceremony. */
  #ceremony(event: Event, ceremony: () => Promise<PasskeyOutcome>): void {
    if (!this.#open) return;
    const refusal = this.#visibility.refusal(event);
    document.documentElement.dataset.secretRefusal = refusal ?? '';
    if (refusal !== null) {
      this.#finish({ outcome: 'not-visible' });
      return;
    }
    this.#run(ceremony);
  }

  /**
   * Run a WebAuthn ceremony (started by the click being handled: its user activation) and
   * answer with its PRF output or its failure; a retryable outcome keeps the dialog open.
   */
  #run(ceremony: () => Promise<PasskeyOutcome>): void {
    const open = this.#open;
    if (!open) return;
    const buttons = [...this.#root.querySelectorAll('button')].filter(
      (b) => b.id !== 'secret-cancel',
    );
    for (const button of buttons) button.disabled = true;
    this.#error.textContent = 'Waiting for your passkey…';
    document.documentElement.dataset.passkey = 'pending';
    void ceremony().then((outcome) => {
      document.documentElement.dataset.passkey = 'done';
      if (this.#open !== open) return; // timed out or cancelled meanwhile
      for (const button of buttons) button.disabled = false;
      if ('retry' in outcome) {
        this.#error.textContent = outcome.retry;
        return;
      }
      this.#finish(
        'passkey' in outcome
          ? { outcome: 'approved', passkey: outcome.passkey }
          : { outcome: 'approved', passkeyFailure: outcome.failure },
      );
    });
  }

  #finish(
    answer: { outcome: ConsentOutcome } & Omit<SecretAnswer, 'type' | 'id' | 'outcome'>,
  ): void {
    const open = this.#open;
    if (!open) return;
    this.#hide();
    open.answer(answer);
  }

  #hide(): void {
    this.#open = null;
    this.#visibility.stop();
    this.#root.hidden = true;
    // What was typed is dropped with the fields.
    this.#body.replaceChildren();
    document.documentElement.dataset.secret = 'closed';
  }
}
