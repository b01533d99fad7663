package io.lifeboat.replicator.route;

/** What a master change does to its table. */
public enum ChangeKind {
    INSERT, UPDATE, DELETE, TRUNCATE
}
