/** Suggestion lists for the free-text pickers; the engine's seed schema decides what is valid. */

const KEYBOARDS = ['us', 'gb', 'de', 'fr', 'es', 'it', 'nl', 'be', 'ch', 'se', 'no', 'dk', 'fi', 'pt', 'br', 'pl', 'cz', 'hu', 'jp', 'ru', 'us(dvorak)', 'de(nodeadkeys)'];
const LOCALES = ['en_US.UTF-8', 'en_GB.UTF-8', 'de_DE.UTF-8', 'fr_FR.UTF-8', 'es_ES.UTF-8', 'it_IT.UTF-8', 'nl_NL.UTF-8', 'pt_BR.UTF-8', 'pl_PL.UTF-8', 'ja_JP.UTF-8', 'C.UTF-8'];

/** Every IANA zone this browser knows, plus UTC (which ICU lists as a link only). */
function timeZones(): string[] {
  return ['UTC', ...Intl.supportedValuesOf('timeZone').filter((z) => z !== 'UTC')];
}

function Options(props: { id: string; values: readonly string[] }) {
  return (
    <datalist id={props.id}>
      {props.values.map((v) => (
        <option key={v} value={v} />
      ))}
    </datalist>
  );
}

/** The datalists the Customise form's pickers refer to by id. */
export function SeedSuggestions() {
  return (
    <>
      <Options id="timezone-options" values={timeZones()} />
      <Options id="keyboard-options" values={KEYBOARDS} />
      <Options id="locale-options" values={LOCALES} />
    </>
  );
}

/** This computer's time zone, offered as the placeholder. */
export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}
