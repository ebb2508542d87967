/**
 * Change control for templates. A plugin item runs a program on every agent its template reaches
 * (now or once linked), so when a task policy sets `template_plugin_items`, a template change that
 * adds a plugin item or changes one's command or arguments is not applied directly: it is held as
 * a change request and applied as given when another operator approves it. The policy's hosts do
 * not narrow this: a template can be linked to any host later. A change made under an approved
 * change request (docs/itil.md) is applied at once: the request's approvers stood for the second
 * operator; it is recorded as approved by the change.
 */
import { randomUUID } from 'node:crypto';
import { isRequester, type Actor } from '../auth/person.js';
import { AppError, notFound } from '../errors.js';
import type { ChangeActor } from '../history/object-changes.js';
import type { Db, TxStep } from '../store/db.js';
import { recordOf, recordsOf, type RecordOf } from '../store/rows.js';
import { listPolicies } from '../tasks/approval-policies.js';
import { checkTemplateContent, type TemplateItem } from './template-model.js';
import type { TemplateInput, TemplateRecord, TemplateStore } from './template-store.js';

export type ChangeRisk = 'low' | 'medium' | 'high';

interface TemplateChangeRow {
  id: string;
  template_id: string | null;
  base_version: number | null;
  content: TemplateInput;
  requested_by: string;
  requester: string | null;
  reason: string;
  risk: ChangeRisk;
  policy_ids: string[];
  state: 'pending' | 'approved' | 'rejected';
  decided_by: string | null;
  decided_at: Date | null;
  decision_note: string | null;
  /** The approved change request it was applied under (server/itil/changes.ts), if any. */
  change_id: string | null;
  created_at: Date;
}

export type TemplateChange = RecordOf<TemplateChangeRow>;

const runs = (i: TemplateItem) => JSON.stringify([i.command ?? '', i.args ?? []]);

/** Plugin items of `after` whose command and arguments no plugin item of `before` already had. */
export function newPluginItems(before: TemplateItem[], after: TemplateItem[]): TemplateItem[] {
  const known = new Set(before.filter((i) => i.type === 'plugin').map(runs));
  return after.filter((i) => i.type === 'plugin' && !known.has(runs(i)));
}

export class TemplateChanges {
  constructor(
    private readonly db: Db,
    private readonly templates: TemplateStore,
  ) {}

  /** The policies asking for approval of this change's plugin items; none when it adds none. */
  async policiesFor(before: TemplateItem[], after: TemplateItem[]): Promise<{ id: string; name: string }[]> {
    if (!newPluginItems(before, after).length) return [];
    return (await listPolicies(this.db)).filter((p) => p.templatePluginItems).map((p) => ({ id: p.id, name: p.name }));
  }

  /** Refuses a direct change that change control holds (the API's POST/PUT of a template). */
  async guard(before: TemplateItem[], after: TemplateItem[]): Promise<void> {
    const policies = await this.policiesFor(before, after);
    if (policies.length) {
      throw new AppError(
        'CHANGE_REQUEST_REQUIRED',
        'invalid',
        `change control (${policies.map((p) => p.name).join(', ')}) holds template changes that add or change plugin items: send it as POST /api/v1/template-changes with change.reason and change.risk; a second operator must approve`,
        { policies: policies.map((p) => p.id) },
      );
    }
  }

  /**
   * Holds a change for approval; one that change control does not hold is refused (apply it
   * directly). Under an approved change request (`underChange`, admitted by the caller) it is applied
   * at once and recorded as approved by that change; `underChange.link` is the caller's step of the
   * template's transaction (its link to the change request), given this template change's id.
   */
  async request(
    input: { templateId?: string; version?: number; content: TemplateInput; reason: string; risk: ChangeRisk },
    by: Actor,
    changedBy: ChangeActor,
    underChange?: { id: string; link(templateChangeId: string): TxStep<TemplateRecord> | undefined },
  ): Promise<{ change: TemplateChange; template?: TemplateRecord }> {
    let before: TemplateRecord | undefined;
    if (input.templateId) {
      before = await this.templates.get(input.templateId);
      if (input.version === undefined)
        throw new AppError('VALIDATION_FAILED', 'invalid', 'a change of a template names the version it changes', { field: 'body.version' });
      if (input.version !== before.version) throw new AppError('PRECONDITION_FAILED', 'precondition_failed', 'the template changed since you read it');
    }
    checkTemplateContent(input.content.items, input.content.triggers);
    const policies = await this.policiesFor(before?.items ?? [], input.content.items);
    if (!policies.length)
      throw new AppError(
        'CHANGE_NOT_HELD',
        'invalid',
        'no change control holds this change (it adds or changes no plugin item, or no policy asks): apply it with POST/PUT /api/v1/templates',
      );
    // Applied first: a change that cannot be applied is not recorded as approved.
    const id = randomUUID();
    const template = underChange
      ? await this.apply(before?.id ?? null, before?.version ?? null, input.content, by.name, changedBy, underChange.link(id))
      : undefined;
    const { rows } = await this.db.query<TemplateChangeRow>(
      `INSERT INTO monitor_template_changes (id, template_id, base_version, content, requested_by, requester, reason, risk, policy_ids, state, decided_by, decided_at, change_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, CASE WHEN $11::text IS NULL THEN NULL ELSE now() END, $12) RETURNING *`,
      [
        id,
        template?.id ?? before?.id ?? null,
        before?.version ?? null,
        JSON.stringify(input.content),
        by.name,
        by.person,
        input.reason,
        input.risk,
        policies.map((p) => p.id),
        underChange ? 'approved' : 'pending',
        underChange ? `change:${underChange.id}` : null,
        underChange?.id ?? null,
      ],
    );
    return { change: recordOf(rows[0]), template };
  }

  private apply(
    templateId: string | null,
    baseVersion: number | null,
    content: TemplateInput,
    requestedBy: string,
    changedBy: ChangeActor,
    step?: TxStep<TemplateRecord>,
  ): Promise<TemplateRecord> {
    return templateId
      ? this.templates.update(templateId, baseVersion!, content, changedBy, step)
      : this.templates.create(content, requestedBy, changedBy, step);
  }

  async get(id: string): Promise<TemplateChange> {
    const { rows } = await this.db.query<TemplateChangeRow>('SELECT * FROM monitor_template_changes WHERE id = $1', [id]);
    if (!rows[0]) throw notFound('template change', 'TEMPLATE_CHANGE_NOT_FOUND');
    return recordOf(rows[0]);
  }

  /** Changes waiting for a decision, oldest first. */
  async pending(): Promise<TemplateChange[]> {
    return recordsOf(
      (await this.db.query<TemplateChangeRow>("SELECT * FROM monitor_template_changes WHERE state = 'pending' ORDER BY created_at, id LIMIT 1000")).rows,
    );
  }

  /**
   * A second operator's decision. Approval applies the content as requested, to the version it was
   * requested against (a template changed meanwhile is 412 and the change stays pending, to be rejected).
   */
  /** `changedBy`: whom the template's change rows name (the approver, in the approving request). */
  async decide(
    id: string,
    approve: boolean,
    by: Actor,
    note: string | null,
    changedBy: ChangeActor,
  ): Promise<{ change: TemplateChange; template?: TemplateRecord }> {
    const change = await this.get(id);
    if (change.state !== 'pending') throw new AppError('CHANGE_NOT_PENDING', 'conflict', `the change is ${change.state} already`);
    if (isRequester({ name: change.requestedBy, person: change.requester }, by)) {
      throw new AppError(
        'APPROVER_IS_REQUESTER',
        'forbidden',
        'a change must be decided by another person than the one who asked for it (an API key counts as its owner)',
      );
    }
    // Claimed first so two approvers cannot both apply it; handed back if applying fails.
    const claimed = await this.db.query(
      "UPDATE monitor_template_changes SET state = $2, decided_by = $3, decided_at = now(), decision_note = $4 WHERE id = $1 AND state = 'pending'",
      [id, approve ? 'approved' : 'rejected', by.name, note],
    );
    if (!claimed.rowCount) throw new AppError('CHANGE_NOT_PENDING', 'conflict', 'the change was decided meanwhile');
    let template: TemplateRecord | undefined;
    if (approve) {
      try {
        template = await this.apply(change.templateId, change.baseVersion, change.content, change.requestedBy, changedBy);
      } catch (err) {
        await this.db.query("UPDATE monitor_template_changes SET state = 'pending', decided_by = NULL, decided_at = NULL, decision_note = NULL WHERE id = $1", [
          id,
        ]);
        throw err;
      }
    }
    return { change: await this.get(id), template };
  }
}
