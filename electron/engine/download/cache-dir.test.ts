import { describe, expect, it } from 'vitest';
import { cacheDirFor } from './cache-dir';

describe('cacheDirFor', () => {
  it('prefers MACULA_CACHE_DIR on every OS', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      expect(cacheDirFor({ env: { MACULA_CACHE_DIR: '/x/cache' }, platform, home: '/home/u' })).toBe('/x/cache');
    }
  });

  it('uses $XDG_CACHE_HOME, else ~/.cache, on Linux', () => {
    expect(cacheDirFor({ env: { XDG_CACHE_HOME: '/xdg' }, platform: 'linux', home: '/home/u' })).toBe(
      '/xdg/macula-companion',
    );
    expect(cacheDirFor({ env: {}, platform: 'linux', home: '/home/u' })).toBe('/home/u/.cache/macula-companion');
    expect(cacheDirFor({ env: { XDG_CACHE_HOME: 'relative' }, platform: 'linux', home: '/home/u' })).toBe(
      '/home/u/.cache/macula-companion',
    );
  });

  it('uses ~/Library/Caches on macOS', () => {
    expect(cacheDirFor({ env: {}, platform: 'darwin', home: '/Users/u' })).toBe(
      '/Users/u/Library/Caches/macula-companion',
    );
  });

  it('uses %LOCALAPPDATA% on Windows', () => {
    expect(cacheDirFor({ env: { LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' }, platform: 'win32', home: 'C:\\Users\\u' })).toBe(
      'C:\\Users\\u\\AppData\\Local\\macula-companion',
    );
    expect(cacheDirFor({ env: {}, platform: 'win32', home: 'C:\\Users\\u' })).toBe(
      'C:\\Users\\u\\AppData\\Local\\macula-companion',
    );
  });
});
