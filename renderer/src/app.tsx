import { useState } from 'react';
import { DriveToolsView } from './drive-tools-view';
import { FlashWizard } from './flash-wizard';
import { FleetView } from './fleet-view';
import type { EngineClient } from './bridge';

const SECTIONS = { flash: 'Flash', fleet: 'Fleet', tools: 'Drive tools' } as const;
type Section = keyof typeof SECTIONS;

/**
 * The app: the flash wizard, the fleet view and the drive tools, one at a time. The wizard stays mounted while hidden, so a flash in
 * progress keeps its state; the fleet view mounts only while shown, because mounting it starts mDNS discovery.
 */
export function App({ bridge }: { bridge: EngineClient }) {
  const [section, setSection] = useState<Section>('flash');
  return (
    <main>
      <header className="app-header">
        <h1>Macula Companion</h1>
        <nav aria-label="Sections" className="sections">
          {(Object.keys(SECTIONS) as Section[]).map((s) => (
            <button key={s} type="button" aria-current={section === s ? 'page' : undefined} onClick={() => setSection(s)}>
              {SECTIONS[s]}
            </button>
          ))}
        </nav>
      </header>
      <div hidden={section !== 'flash'}>
        <FlashWizard bridge={bridge} />
      </div>
      {section === 'fleet' && <FleetView bridge={bridge} />}
      {section === 'tools' && <DriveToolsView bridge={bridge} />}
    </main>
  );
}
