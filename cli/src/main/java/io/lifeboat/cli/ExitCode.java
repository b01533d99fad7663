package io.lifeboat.cli;

/**
 * What the {@code lifeboat} command tells the shell. {@code UNREACHABLE}: {@code archive verify} could not read the
 * target, which says nothing about the backup (unlike 2, corrupt).
 */
public enum ExitCode {
    OK(0), WARNING(1), ERROR(2), UNREACHABLE(3);

    private final int code;

    ExitCode(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }
}
