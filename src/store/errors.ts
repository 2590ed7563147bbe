/** Base class so callers (the REST API) can map every store failure with one `instanceof`. */
export class StoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The thing to read or change does not exist (or belongs to another account, which looks the same). */
export class NotFoundError extends StoreError {
  constructor(
    readonly entity: string,
    readonly id: string,
  ) {
    super(`${entity} ${id} not found`);
  }
}

/** A uniqueness rule was broken; `field` names the offending document field (e.g. `name`, `numbers`). */
export class ConflictError extends StoreError {
  constructor(
    readonly field: string,
    message = `${field} already in use`,
  ) {
    super(message);
  }
}

/** The caller passed something the store cannot use (bad start key, missing required field). */
export class ValidationError extends StoreError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}
