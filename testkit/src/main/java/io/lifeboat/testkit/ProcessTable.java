package io.lifeboat.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * What the kernel's process table says about a pid. {@link ProcessHandle#isAlive()} counts a zombie as alive, and a
 * postmaster that exited stays a zombie until init reaps it, which on some machines takes a second or more.
 */
final class ProcessTable {
    private ProcessTable() {
    }

    /** Whether {@code pid} exists and has not exited; a zombie has exited. */
    static boolean running(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            // The state is the first field after the parenthesised command name, which may itself hold spaces.
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        }
    }

    static boolean running(ProcessHandle process) {
        return running(process.pid());
    }
}
