package io.lifeboat.core.process;

/**
 * A program Lifeboat (or a test) needs is not installed. The message names the package that provides it, so the
 * one line says what to do. It carries no stack trace: where the program was needed says nothing the message does
 * not, and a test that needs a missing tool then fails with this line alone.
 */
public final class MissingProgramException extends ExternalCommandException {
    public MissingProgramException(String message, String hint) {
        super(message, hint, -1, "");
    }

    /** {@code program} (a name or a path) was not found: names its Debian package when it is known. */
    static MissingProgramException of(String program) {
        String name = java.nio.file.Path.of(program).getFileName().toString();
        return DebianPackages.providing(program)
                .map(pkg -> new MissingProgramException("cannot run " + name + ": not installed (package " + pkg + ")",
                        "install it: apt-get install " + pkg))
                .orElseGet(() -> new MissingProgramException("cannot run " + program + ": no such program",
                        null));
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
