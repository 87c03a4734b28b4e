// Vanilla JS in Angular's manner: a component state object, template bindings refreshed by
// a change-detection pass after every handled event (as zone.js does), ngModel-style
// two-way binding on `input` events reading event.target.value, a <select> bound on
// `change`, a (click) handler on a custom element whose button lives in shadow DOM, and
// an *ngFor-like list re-rendered from state through innerHTML of a template.
(() => {
  'use strict';

  class MyToggle extends HTMLElement {
    static get observedAttributes() { return ['on']; }
    constructor() {
      super();
      const root = this.attachShadow({ mode: 'open' });
      root.innerHTML =
        '<style>button{font:inherit;padding:4px 12px;border-radius:12px;border:1px solid #555}' +
        'button[aria-pressed=true]{background:#264;color:#fff}</style>' +
        '<button type="button" part="button" aria-pressed="false"><slot></slot></button>';
    }
    attributeChangedCallback() {
      this.shadowRoot.querySelector('button').setAttribute('aria-pressed', String(this.hasAttribute('on')));
    }
  }
  customElements.define('my-toggle', MyToggle);

  // A web component in the manner of design-system switches: its own logic listens on the
  // button inside its shadow root and announces a `change`, bound as (change)="...".
  class MySwitch extends HTMLElement {
    constructor() {
      super();
      const root = this.attachShadow({ mode: 'open' });
      root.innerHTML =
        '<button type="button" role="switch" aria-checked="false"><slot></slot></button>';
      this.button = root.querySelector('button');
      this.button.addEventListener('click', () => {
        this.checked = !this.checked;
        this.dispatchEvent(new Event('change', { bubbles: true }));
      });
    }
    get checked() { return this.button.getAttribute('aria-checked') === 'true'; }
    set checked(value) { this.button.setAttribute('aria-checked', String(!!value)); }
  }
  customElements.define('my-switch', MySwitch);

  const state = { name: '', colour: 'red', dark: false, alerts: false, draft: '', items: ['Alpha', 'Beta'] };
  const $ = (selector) => document.querySelector(selector);
  const escape = (s) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

  // The "template" of the *ngFor list.
  const itemTemplate = $('#item-template').innerHTML;

  function detectChanges() {
    $('#hi').textContent = `Hi, ${state.name}`;
    $('#colour-out').textContent = `Colour is ${state.colour}`;
    $('#dark-out').textContent = `Dark mode is ${state.dark ? 'on' : 'off'}`;
    $('#dark').toggleAttribute('on', state.dark);
    $('#alerts-out').textContent = `Alerts are ${state.alerts ? 'on' : 'off'}`;
    // [ngModel] writes back into the view only when the model differs (as Angular does).
    if ($('#name').value !== state.name) $('#name').value = state.name;
    if ($('#colour').value !== state.colour) $('#colour').value = state.colour;
    if ($('#draft').value !== state.draft) $('#draft').value = state.draft;
    const html = state.items
      .map((item, i) => itemTemplate.replaceAll('{{item}}', escape(item)).replaceAll('{{i}}', String(i)))
      .join('');
    if ($('#items').innerHTML !== html) $('#items').innerHTML = html;
    $('#count').textContent = `${state.items.length} items`;
  }

  // Like zone.js: every handler is followed by a change-detection pass.
  function on(el, type, handler) {
    el.addEventListener(type, (event) => {
      handler(event);
      detectChanges();
    });
  }

  on($('#name'), 'input', (e) => { state.name = e.target.value; });            // [(ngModel)]="name"
  on($('#colour'), 'change', (e) => { state.colour = e.target.value; });      // (change)="colour = $event.target.value"
  on($('#dark'), 'click', () => { state.dark = !state.dark; });               // <my-toggle (click)="dark = !dark">
  on($('#alerts'), 'change', (e) => { state.alerts = e.target.checked; });   // <my-switch (change)="...">
  on($('#draft'), 'input', (e) => { state.draft = e.target.value; });
  on($('#add'), 'click', () => {                                               // (click)="add()"
    if (state.draft.trim()) state.items.push(state.draft.trim());
    state.draft = '';
  });
  on($('#items'), 'click', (e) => {                                            // (click)="remove(i)"
    const button = e.target.closest('button[data-index]');
    if (button) state.items.splice(Number(button.dataset.index), 1);
  });
  detectChanges();
})();
