/**
 * Form targets: `action` / `formaction` of an upstream origin point at its proxy host
 * when a form is submitted (a capture-phase submit listener for user and requestSubmit
 * submissions, and HTMLFormElement.prototype.submit, which fires no event). In the
 * overlay frame `target=_top|_parent` on forms and links means this frame.
 */
import type { RuntimeContext } from '../context';
import { attempt, patchMethod } from '../patch';
import { frameTarget } from './windows';

export function patchForms(ctx: RuntimeContext): void {
  const { win, map } = ctx;
  const getAttr = win.Element.prototype.getAttribute;
  const setAttr = win.Element.prototype.setAttribute;

  const fixAttr = (el: Element, name: string): void => {
    const value = getAttr.call(el, name);
    if (value === null) return;
    const mapped = map.toLoad(value);
    if (mapped !== value) setAttr.call(el, name, mapped);
  };
  const fixTarget = (el: Element): void => {
    const target = getAttr.call(el, 'target');
    if (target === null) return;
    const fixed = frameTarget(target, ctx.overlay);
    if (fixed !== target) setAttr.call(el, 'target', fixed as string);
  };
  const fixForm = (form: unknown, submitter: unknown): void => {
    attempt(() => {
      if (!(form instanceof win.HTMLFormElement)) return;
      fixAttr(form, 'action');
      fixTarget(form);
      if (submitter instanceof win.HTMLElement) {
        fixAttr(submitter, 'formaction');
        fixTarget(submitter);
        if (getAttr.call(submitter, 'formtarget') !== null) {
          const t = getAttr.call(submitter, 'formtarget');
          const fixed = frameTarget(t, ctx.overlay);
          if (fixed !== t) setAttr.call(submitter, 'formtarget', fixed as string);
        }
      }
    }, undefined);
  };

  try {
    win.addEventListener(
      'submit',
      (event) => fixForm(event.target, (event as SubmitEvent).submitter ?? null),
      true,
    );
  } catch {
    /* submit events unpatched */
  }
  const proto = win.HTMLFormElement?.prototype;
  patchMethod(proto, 'submit', (orig) =>
    function submit(this: unknown, ...args: unknown[]) {
      fixForm(this, null);
      return orig.apply(this, args);
    },
  );
  patchMethod(proto, 'requestSubmit', (orig) =>
    function requestSubmit(this: unknown, ...args: unknown[]) {
      fixForm(this, args[0] ?? null);
      return orig.apply(this, args);
    },
  );

  if (ctx.overlay) {
    // Links with target=_top/_parent would navigate the widget's page, not the overlay.
    try {
      win.addEventListener(
        'click',
        (event) =>
          attempt(() => {
            const t = event.target;
            const link = t instanceof win.Element ? t.closest('a[target], area[target]') : null;
            if (link) fixTarget(link);
          }, undefined),
        true,
      );
    } catch {
      /* links keep their target */
    }
  }
}
