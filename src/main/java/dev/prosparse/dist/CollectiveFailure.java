package dev.prosparse.dist;

import dev.prosparse.ProsparseException;

/**
 * A collective that did not complete: another rank died, hung or left, or the transport failed. Its message is the
 * one line a user sees: which operation, which rank (when known), and that the last save is intact.
 */
public final class CollectiveFailure extends ProsparseException {
    private static final long serialVersionUID = 1L;

    public CollectiveFailure(String message, Throwable cause) {
        super(Kind.IO, message, cause);
    }

    public CollectiveFailure(String message) {
        super(Kind.IO, message);
    }
}
