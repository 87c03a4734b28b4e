"""The "File ITR" form and the acknowledgement shown after filing."""

from __future__ import annotations

from cobrowse.demo.accounts import UserSession, mask_pan
from cobrowse.demo.dashboard import when
from cobrowse.demo.itr import FIELDS, mask_digits
from cobrowse.demo.layout import Shell, error_summary, esc, field, page
from cobrowse.demo.state import Submission
from cobrowse.demo.tax import ASSESSMENT_YEAR, TaxComputation, format_inr
from cobrowse.demo.uploads import ACCEPT_ATTRIBUTE, Document, format_size

LABELS = dict(FIELDS)
UPLOAD_LABEL = "Upload Form 16 (PDF)"
DEMO_AADHAAR = "4991 1866 5246"  # passes the Verhoeff check; shown as a hint in the demo


def itr_page(
    shell: Shell,
    *,
    user: UserSession,
    values: dict[str, str],
    errors: dict[str, str],
    documents: list[Document],
    notice: str = "",
) -> str:
    def f(name: str, *, hint: str = "", masked: bool = False, attrs: str = "") -> str:
        return field(
            name=name,
            label=LABELS[name],
            value=values.get(name, ""),
            error=errors.get(name),
            hint=hint,
            masked=masked,
            attrs=attrs,
        )

    labels = {**LABELS, "documents": UPLOAD_LABEL}
    status = f'<div class="notice-ok" role="status">{esc(notice)}</div>' if notice else ""
    upload_error = errors.get("documents")
    upload_error_html = (
        f'<p class="field-error" id="documents-error">{esc(upload_error)}</p>'
        if upload_error
        else ""
    )
    described = "documents-hint documents-error" if upload_error else "documents-hint"
    invalid = ' aria-invalid="true"' if upload_error else ""
    if documents:
        doc_items = "".join(
            f'<li><span class="doc-kind">{esc(d.kind)}</span> {esc(d.name)} '
            f'<span class="muted">({esc(format_size(d.size))})</span></li>'
            for d in documents
        )
        doc_list = f'<ul class="doc-list" aria-label="Attached documents">{doc_items}</ul>'
    else:
        doc_list = '<p class="muted" id="no-documents">No documents attached yet.</p>'

    body = f"""<div class="wrap">
  <nav class="crumbs" aria-label="Breadcrumb"><a href="/dashboard">Dashboard</a>
    <span aria-hidden="true">&rsaquo;</span> File income tax return</nav>
  <div class="form-head">
    <h1>File income tax return</h1>
    <p class="muted">ITR-1 (Sahaj) &middot; Assessment Year {ASSESSMENT_YEAR} &middot;
      new tax regime</p>
  </div>
  {error_summary(errors, labels)}
  {status}
  <form class="itr-form" method="post" action="/itr" enctype="multipart/form-data" novalidate>
    <fieldset class="card">
      <legend>Personal information</legend>
      <div class="grid-2">
        {f("full_name", hint="As on your PAN card", attrs='autocomplete="name"')}
        {
        f(
            "pan",
            hint="10 characters, for example ABCPE1234F",
            masked=True,
            attrs='autocapitalize="characters" spellcheck="false" maxlength="10"',
        )
    }
        {
        f(
            "aadhaar",
            hint=f"12 digits. Demo number that passes the check: {DEMO_AADHAAR}",
            masked=True,
            attrs='inputmode="numeric" autocomplete="off" maxlength="14"',
        )
    }
        {
        f(
            "email",
            hint="We send the acknowledgement here",
            attrs='autocomplete="email" inputmode="email" spellcheck="false"',
        )
    }
      </div>
    </fieldset>
    <fieldset class="card">
      <legend>Bank account for refund</legend>
      <div class="grid-2">
        {
        f(
            "bank_account",
            hint="9 to 18 digits, as printed on your passbook",
            masked=True,
            attrs='inputmode="numeric" autocomplete="off" maxlength="22"',
        )
    }
      </div>
    </fieldset>
    <fieldset class="card">
      <legend>Income from salary</legend>
      <div class="grid-2">
        {
        f(
            "gross_salary",
            hint="Annual, in rupees, from Part B of Form 16",
            attrs='inputmode="decimal" autocomplete="off" data-tax-estimate="itr-estimate"',
        )
    }
        <div class="estimate-box">
          <p class="estimate-label">Estimated tax payable</p>
          <output id="itr-estimate" class="estimate" for="gross_salary" aria-live="polite">
            Enter your salary to see an estimate.</output>
          <p class="hint">After the standard deduction of ₹75,000 and the rebate under
            section 87A.</p>
        </div>
      </div>
    </fieldset>
    <fieldset class="card">
      <legend>Documents</legend>
      <div class="field{" has-error" if upload_error else ""}">
        <label for="documents">{esc(UPLOAD_LABEL)}</label>
        <p class="hint" id="documents-hint">PDF, or a JPEG or PNG scan; up to 5 MB each.</p>
        <input id="documents" name="documents" type="file" multiple
          accept="{ACCEPT_ATTRIBUTE}" aria-describedby="{described}"{invalid}>
        {upload_error_html}
      </div>
      <h3 class="sub">Attached</h3>
      {doc_list}
    </fieldset>
    <div class="form-actions">
      <p class="muted">Save keeps a draft you can finish later. Submit files the return.</p>
      <button type="submit" name="action" value="save" class="button secondary">Save</button>
      <button type="submit" name="action" value="submit" class="button primary"
        data-cobrowse-no-agent>Submit</button>
    </div>
  </form>
</div>"""
    return page(shell, title="File ITR", body=body, user=user, active="itr", scripts=("portal.js",))


def _tax_rows(tax: TaxComputation) -> str:
    rows = (
        ("Gross salary", tax.gross_salary),
        ("Less: standard deduction", tax.standard_deduction),
        ("Total taxable income", tax.taxable_income),
        ("Tax at normal rates", tax.slab_tax),
        ("Less: rebate under section 87A", tax.rebate),
        ("Surcharge", tax.surcharge),
        ("Health and education cess (4%)", tax.cess),
    )
    body = "".join(
        f'<tr><th scope="row">{esc(label)}</th><td>{esc(format_inr(amount))}</td></tr>'
        for label, amount in rows
    )
    return (
        f'{body}<tr class="total"><th scope="row">Total tax payable</th>'
        f"<td>{esc(format_inr(tax.total_tax))}</td></tr>"
    )


def acknowledgement_page(shell: Shell, *, user: UserSession, submission: Submission) -> str:
    itr = submission.itr
    docs = (
        "".join(f"<li>{esc(name)}</li>" for name in submission.documents)
        if submission.documents
        else "<li>None</li>"
    )
    body = f"""<div class="wrap">
  <section class="card ack" aria-labelledby="ack-heading">
    <div class="ack-head">
      <span class="ack-tick" aria-hidden="true"></span>
      <div>
        <h1 id="ack-heading">Return submitted successfully</h1>
        <p class="muted">ITR-1 for Assessment Year {ASSESSMENT_YEAR},
          filed {esc(when(submission.filed_at))}</p>
      </div>
    </div>
    <p class="ack-number">Acknowledgement number
      <strong data-ack-number>{esc(submission.ack_number)}</strong></p>
    <p>Keep this number for your records. Please e-verify the return within 30 days.</p>
    <dl class="facts">
      <div><dt>Name</dt><dd>{esc(itr.full_name)}</dd></div>
      <div><dt>PAN</dt><dd data-cobrowse-mask>{esc(mask_pan(itr.pan))}</dd></div>
      <div><dt>Refund account</dt><dd data-cobrowse-mask>{esc(mask_digits(itr.bank_account))}
        </dd></div>
      <div><dt>Email</dt><dd>{esc(itr.email)}</dd></div>
    </dl>
    <h2>Computation of tax</h2>
    <div class="table-wrap"><table class="data compute">
      <caption>New tax regime (section 115BAC)</caption>
      <tbody>{_tax_rows(submission.tax)}</tbody>
    </table></div>
    <h2>Documents</h2>
    <ul class="doc-list">{docs}</ul>
    <p class="form-actions"><a class="button primary" href="/dashboard">Back to dashboard</a></p>
  </section>
</div>"""
    return page(shell, title="Acknowledgement", body=body, user=user, active="itr")
