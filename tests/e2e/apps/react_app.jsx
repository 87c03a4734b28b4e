// A real React 18 app: every field is controlled state, so a value the agent types only
// "counts" if React's onChange saw it (a bare DOM value change is undone on re-render).
import { useState } from 'react';
import { createRoot } from 'react-dom/client';

const STATES = ['Karnataka', 'Kerala', 'Maharashtra', 'Tamil Nadu'];

function App() {
  const [name, setName] = useState('');
  const [region, setRegion] = useState('');
  const [agree, setAgree] = useState(false);
  const [plan, setPlan] = useState('basic');
  const [rows, setRows] = useState([]);
  const [notes, setNotes] = useState('');
  const [submitted, setSubmitted] = useState('');

  const onSubmit = (event) => {
    event.preventDefault();
    setSubmitted(
      `Submitted: ${name} / ${region || 'no state'} / ${agree ? 'agreed' : 'not agreed'}` +
        ` / ${plan} / ${rows.length} rows / ${notes}`,
    );
  };

  return (
    <main>
      <h1>React form</h1>
      <form onSubmit={onSubmit} aria-label="React form">
        <p>
          <label htmlFor="full-name">Full name</label>{' '}
          <input id="full-name" value={name} onChange={(e) => setName(e.target.value)} />
        </p>
        <output id="greeting" aria-label="Greeting">{`Hello, ${name}`}</output>
        <p>
          <label htmlFor="state">State</label>{' '}
          <select id="state" value={region} onChange={(e) => setRegion(e.target.value)}>
            <option value="">Choose…</option>
            {STATES.map((s) => (
              <option key={s} value={s}>{s}</option>
            ))}
          </select>
        </p>
        <p id="state-out">{`State is ${region || 'unset'}`}</p>
        <p>
          <input id="agree" type="checkbox" checked={agree} onChange={(e) => setAgree(e.target.checked)} />{' '}
          <label htmlFor="agree">I agree</label>
        </p>
        <p id="agree-out">{agree ? 'Agreement: yes' : 'Agreement: no'}</p>
        <fieldset>
          <legend>Plan</legend>
          {['basic', 'premium'].map((p) => (
            <label key={p} style={{ marginRight: '2em' }}>
              <input type="radio" name="plan" value={p} checked={plan === p} onChange={() => setPlan(p)} />
              {p === 'basic' ? 'Basic' : 'Premium'}
            </label>
          ))}
        </fieldset>
        <p id="plan-out">{`Plan is ${plan}`}</p>
        <button type="button" onClick={() => setRows((r) => [...r, `Row ${r.length + 1}`])}>
          Add row
        </button>
        <ul aria-label="Rows">
          {rows.map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ul>
        <p id="notes-label">Notes</p>
        <div
          contentEditable
          suppressContentEditableWarning
          role="textbox"
          aria-multiline="true"
          aria-labelledby="notes-label"
          onInput={(e) => setNotes(e.currentTarget.textContent)}
          style={{ border: '1px solid #888', minHeight: '3em', padding: '4px', width: '30em' }}
        ></div>
        <p id="notes-out">{`Notes say ${notes || 'nothing'}`}</p>
        <button type="submit">Submit</button>
      </form>
      <p role="status" id="submitted">{submitted}</p>
    </main>
  );
}

createRoot(document.getElementById('root')).render(<App />);
