/** The node's mesh roles (plan §4.2), with the warning a bootstrap node needs: it must be reachable from outside. */
export function MeshRoles(props: {
  bootstrap: boolean;
  relay: boolean;
  onBootstrap: (v: boolean) => void;
  onRelay: (v: boolean) => void;
  error?: string | undefined;
  warning?: string | undefined;
}) {
  const described = [props.error && 'mesh-error', props.bootstrap && 'mesh-warning'].filter(Boolean).join(' ') || undefined;
  return (
    <fieldset className="field mesh" aria-describedby={described}>
      <legend>Mesh roles</legend>
      <label>
        <input type="checkbox" checked={props.bootstrap} onChange={(e) => props.onBootstrap(e.target.checked)} /> Bootstrap (an entry point other nodes join through)
      </label>
      <label>
        <input type="checkbox" checked={props.relay} onChange={(e) => props.onRelay(e.target.checked)} /> Relay (forwards traffic for peers behind NAT)
      </label>
      {props.error && (
        <p className="field-error" id="mesh-error">
          {props.error}
        </p>
      )}
      {props.bootstrap && (
        <p className="field-warning" id="mesh-warning">
          {props.warning ?? 'A bootstrap node wants a public address: other nodes must reach it directly (public IP or port forwarding).'}
        </p>
      )}
    </fieldset>
  );
}
