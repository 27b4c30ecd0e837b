import type { Knex } from 'knex';

/**
 * A stored procedure version never changes its content (definition, plan, hash, name, agency), and a
 * version that was ever published is never deleted nor turned back into a draft: PostgreSQL refuses,
 * whoever asks. Only the state moves (draft → published → superseded, and back to published).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION procedure_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        IF OLD.state <> 'draft' THEN
          RAISE EXCEPTION 'procedure % version % was published and cannot be deleted', OLD.code, OLD.version
            USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN OLD;
      END IF;
      IF NEW.code IS DISTINCT FROM OLD.code OR NEW.version IS DISTINCT FROM OLD.version
        OR NEW.definition::text IS DISTINCT FROM OLD.definition::text OR NEW.plan::text IS DISTINCT FROM OLD.plan::text
        OR NEW.hash IS DISTINCT FROM OLD.hash OR NEW.name IS DISTINCT FROM OLD.name OR NEW.agency_code IS DISTINCT FROM OLD.agency_code THEN
        RAISE EXCEPTION 'procedure % version % is immutable: upload a new version', OLD.code, OLD.version
          USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      IF NEW.state = 'draft' AND OLD.state <> 'draft' THEN
        RAISE EXCEPTION 'procedure % version % was published and cannot become a draft again', OLD.code, OLD.version
          USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      RETURN NEW;
    END $$`);
  await knex.raw(`CREATE TRIGGER procedure_versions_immutable BEFORE UPDATE OR DELETE ON procedure_versions
    FOR EACH ROW EXECUTE FUNCTION procedure_versions_immutable()`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER IF EXISTS procedure_versions_immutable ON procedure_versions');
  await knex.raw('DROP FUNCTION IF EXISTS procedure_versions_immutable()');
}
