/**
 * Electron's contextBridge as the renderer meets it, for tests that run the preload outside Electron: what the preload
 * exposes reaches the main world as a copy (Electron's contextBridge docs, "Parameter / Error / Return Type support").
 * Functions are proxied both ways (their arguments and results copied in turn); a promise's value is copied; an Error,
 * thrown or rejected, is rebuilt from its message alone, so custom properties such as `code` are lost; objects and
 * arrays are copied key by key with their prototypes dropped; anything else is structured-cloned.
 *
 * Self-contained (no imports, no outer variables), because the browser tests inject its source into the page with
 * `Function.prototype.toString`; realm-neutral checks (no `instanceof`), because the preload may run in another realm.
 */
export function copyAcrossBridge(value: unknown): unknown {
  const tag = (v: unknown): string => Object.prototype.toString.call(v);
  const rebuilt = (e: unknown): Error => new Error(tag(e) === '[object Error]' ? (e as Error).message : String(e));
  const copy = (v: unknown): unknown => {
    if (typeof v === 'function') {
      const fn = v as (...args: unknown[]) => unknown;
      return (...args: unknown[]): unknown => {
        let out: unknown;
        try {
          out = fn(...args.map(copy));
        } catch (e) {
          throw rebuilt(e);
        }
        return copy(out);
      };
    }
    if (v === null || typeof v !== 'object') return typeof v === 'symbol' ? undefined : v;
    if (typeof (v as { then?: unknown }).then === 'function') {
      return Promise.resolve(v as PromiseLike<unknown>).then(copy, (e: unknown) => {
        throw rebuilt(e);
      });
    }
    if (tag(v) === '[object Error]') return rebuilt(v);
    if (Array.isArray(v)) return v.map(copy);
    if (tag(v) === '[object Object]') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copy(x)]));
    return structuredClone(v);
  };
  return copy(value);
}
