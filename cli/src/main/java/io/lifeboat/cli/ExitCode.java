package io.lifeboat.cli;

/** What the {@code lifeboat} command tells the shell. */
public enum ExitCode {
    OK(0), WARNING(1), ERROR(2);

    private final int code;

    ExitCode(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }
}
