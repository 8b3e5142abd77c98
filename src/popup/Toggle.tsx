interface Props {
  on: boolean;
  busy: boolean;
  onChange: (on: boolean) => void;
}

/** A switch: role="switch" + aria-checked, named by its visible label, operable by Space and Enter. */
export function Toggle({ on, busy, onChange }: Props) {
  return (
    <div class="toggle-row">
      <span id="contribute-label" class="toggle-label">
        Contribute
      </span>
      <button
        type="button"
        role="switch"
        data-testid="toggle"
        aria-checked={on}
        aria-labelledby="contribute-label"
        aria-busy={busy}
        class={`switch ${on ? 'on' : ''}`}
        onClick={() => onChange(!on)}
      >
        <span class="knob" aria-hidden="true" />
      </button>
    </div>
  );
}
