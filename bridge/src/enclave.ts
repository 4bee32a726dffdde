/**
 * The typed `Enclave`: one method per enclave operation, over the Comlink channel set up by
 * `connect()`. It tracks pending calls so that `dispose()` can reject them at once.
 */
import { type Remote, releaseProxy, transfer, wrap } from 'comlink';
import { StrongroomError } from './errors';
import type {
  EnclaveApi,
  EnclaveInfo,
  GenerateKeyOptions,
  KeyInfo,
  OperationName,
  PublicJwk,
  PublicKeyFormat,
} from './protocol';

/**
 * Copy a view into its own exactly sized buffer before it crosses: structured clone of a
 * `subarray` would otherwise send (and disclose) the whole underlying buffer.
 */
function exactBytes(value: Uint8Array): Uint8Array {
  if (!(value instanceof Uint8Array)) return value;
  if (value.byteOffset === 0 && value.byteLength === value.buffer.byteLength) return value;
  return value.slice();
}

/**
 * A connection to an enclave. Obtain one with `connect()`; call `dispose()` when done.
 *
 * @example
 * ```ts
 * const enclave = await connect({ url: 'https://kms.example.com/' });
 * const key = await enclave.generateKey({ alg: 'EdDSA', label: 'identity' });
 * const signature = await enclave.sign(key.id, new TextEncoder().encode('hello'));
 * ```
 */
export class Enclave {
  readonly #remote: Remote<EnclaveApi>;
  readonly #port: MessagePort;
  readonly #iframe: HTMLIFrameElement;
  readonly #pending = new Set<(err: StrongroomError) => void>();
  #disposed = false;

  /** @internal Use `connect()`. */
  constructor(port: MessagePort, iframe: HTMLIFrameElement) {
    this.#port = port;
    this.#iframe = iframe;
    this.#remote = wrap<EnclaveApi>(port);
  }

  /** The iframe that holds the enclave (hidden; do not move it, moving reloads it). */
  get iframe(): HTMLIFrameElement {
    return this.#iframe;
  }

  /** Whether `dispose()` has been called. */
  get disposed(): boolean {
    return this.#disposed;
  }

  #call<T>(name: OperationName, args: unknown[], transfers: Transferable[] = []): Promise<T> {
    if (this.#disposed) {
      return Promise.reject(new StrongroomError('ENCLAVE_UNAVAILABLE', 'the enclave was disposed'));
    }
    return new Promise<T>((resolve, reject) => {
      const onDispose = (err: StrongroomError) => reject(err);
      this.#pending.add(onDispose);
      const fn = this.#remote[name] as unknown as (...a: unknown[]) => Promise<T>;
      const argList =
        transfers.length > 0 ? [transfer(args[0], transfers), ...args.slice(1)] : args;
      fn(...argList).then(
        (value) => {
          this.#pending.delete(onDispose);
          resolve(value);
        },
        (err: unknown) => {
          this.#pending.delete(onDispose);
          reject(
            err instanceof StrongroomError
              ? err
              : new StrongroomError('INTERNAL_ERROR', 'the call failed', { cause: err }),
          );
        },
      );
    });
  }

  /** What the enclave is and what it knows about this channel and its storage. */
  info(): Promise<EnclaveInfo> {
    return this.#call('info', []);
  }

  /**
   * Generate a non-extractable key owned by this app's origin.
   * @example
   * ```ts
   * const { id, publicJwk } = await enclave.generateKey({ alg: 'ES256', label: 'vapid' });
   * ```
   */
  generateKey(options: GenerateKeyOptions): Promise<KeyInfo> {
    return this.#call('generateKey', [options]);
  }

  /** Every key of this app's origin, oldest first. */
  listKeys(): Promise<KeyInfo[]> {
    return this.#call('listKeys', []);
  }

  /** One key's public description; `KEY_NOT_FOUND` if it does not exist for this origin. */
  getKey(keyId: string): Promise<KeyInfo> {
    return this.#call('getKey', [keyId]);
  }

  /**
   * The public key of a key pair.
   * @example
   * ```ts
   * const jwk = await enclave.publicKey(id, 'jwk');
   * const point = await enclave.publicKey(id, 'raw'); // 65 bytes for ES256
   * ```
   */
  publicKey(keyId: string, format?: 'jwk'): Promise<PublicJwk>;
  publicKey(keyId: string, format: 'spki' | 'raw'): Promise<Uint8Array>;
  publicKey(keyId: string, format: PublicKeyFormat = 'jwk'): Promise<PublicJwk | Uint8Array> {
    return this.#call('publicKey', [keyId, format]);
  }

  /**
   * Sign `data` (at most `info().limits.maxDataBytes`). ES256 signatures are IEEE P1363
   * (r‖s, 64 bytes), as JOSE uses them; EdDSA 64 bytes; HS256 a 32-byte HMAC.
   */
  sign(keyId: string, data: Uint8Array): Promise<Uint8Array> {
    return this.#call('sign', [keyId, exactBytes(data)]);
  }

  /** Check a signature made by `sign`; `false` when it does not verify. */
  verify(keyId: string, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
    return this.#call('verify', [keyId, exactBytes(data), exactBytes(signature)]);
  }

  /** Delete a key now. Data it protected cannot be recovered. */
  deleteKey(keyId: string): Promise<void> {
    return this.#call('deleteKey', [keyId]);
  }

  /** Close the channel, remove the iframe and reject every pending call with `ENCLAVE_UNAVAILABLE`. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    const err = new StrongroomError('ENCLAVE_UNAVAILABLE', 'the enclave was disposed');
    for (const reject of this.#pending) reject(err);
    this.#pending.clear();
    try {
      this.#remote[releaseProxy]();
    } catch {
      // Already released.
    }
    this.#port.close();
    this.#iframe.remove();
  }
}
