import { type ReactNode, useEffect, useLayoutEffect, useRef, useState } from 'react';

export interface VirtualListProps<T> {
  readonly items: readonly T[];
  readonly keyOf: (item: T) => string;
  readonly render: (item: T) => ReactNode;
  /** The height an item is taken to have until it has been rendered and measured, px. */
  readonly estimate: number;
  readonly className: string;
  readonly label: string;
}

/** How far beyond the viewport items are still rendered, px: scrolling a little never shows a blank. */
const OVERSCAN_PX = 800;

/** The index of the first offset greater than `y` (offsets ascending), minus one, clamped to 0. */
function indexAt(offsets: readonly number[], y: number): number {
  let lo = 0;
  let hi = offsets.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((offsets[mid] ?? 0) <= y) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * A list that renders only the items near the viewport (a fleet of a thousand nodes is a thousand cards), the rest
 * stood in for by padding of their measured — or, until rendered once, estimated — height. It follows the scrolling
 * of whatever scrolls it (a scroll listener in the capture phase hears every scroll container) and the window's size.
 * Items keep their heights by key, so a card that grew (a pairing panel, an opened history) keeps its place.
 */
export function VirtualList<T>({ items, keyOf, render, estimate, className, label }: VirtualListProps<T>) {
  const listRef = useRef<HTMLUListElement>(null);
  const heights = useRef(new Map<string, number>());
  const [view, setView] = useState({ top: 0, height: typeof window === 'undefined' ? 1000 : window.innerHeight });
  const [measured, setMeasured] = useState(0);

  useEffect(() => {
    let frame: number | undefined;
    const update = (): void => {
      frame = undefined;
      const rect = listRef.current?.getBoundingClientRect();
      if (!rect) return;
      setView((v) => (v.top === -rect.top && v.height === window.innerHeight ? v : { top: -rect.top, height: window.innerHeight }));
    };
    const schedule = (): void => {
      frame ??= requestAnimationFrame(update);
    };
    update();
    window.addEventListener('scroll', schedule, { capture: true, passive: true });
    window.addEventListener('resize', schedule, { passive: true });
    return () => {
      window.removeEventListener('scroll', schedule, { capture: true });
      window.removeEventListener('resize', schedule);
      if (frame !== undefined) cancelAnimationFrame(frame);
    };
  }, []);

  const offsets = new Array<number>(items.length + 1);
  offsets[0] = 0;
  items.forEach((item, i) => {
    offsets[i + 1] = (offsets[i] ?? 0) + (heights.current.get(keyOf(item)) ?? estimate);
  });
  const total = offsets[items.length] ?? 0;
  const first = Math.min(indexAt(offsets, view.top - OVERSCAN_PX), Math.max(0, items.length - 1));
  const last = Math.max(first, Math.min(items.length - 1, indexAt(offsets, view.top + view.height + OVERSCAN_PX)));
  const shown = items.slice(first, last + 1);

  // Measure what was rendered; a changed height re-renders once with the right padding.
  useLayoutEffect(() => {
    const list = listRef.current;
    if (!list) return;
    const gap = Number.parseFloat(getComputedStyle(list).rowGap) || 0;
    let changed = false;
    Array.from(list.children).forEach((child, i) => {
      const item = shown[i];
      if (item === undefined) return;
      const height = (child as HTMLElement).getBoundingClientRect().height + gap;
      const key = keyOf(item);
      if (Math.abs((heights.current.get(key) ?? -1) - height) > 0.5) {
        heights.current.set(key, height);
        changed = true;
      }
    });
    if (changed) setMeasured((n) => n + 1);
  });

  const before = offsets[first] ?? 0;
  const after = items.length === 0 ? 0 : total - (offsets[last + 1] ?? total);
  return (
    <ul ref={listRef} className={className} aria-label={label} data-count={items.length} data-measured={measured} style={{ paddingTop: before, paddingBottom: after }}>
      {shown.map((item) => render(item))}
    </ul>
  );
}
