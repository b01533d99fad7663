package io.lifeboat.recovery.rungs;

import io.lifeboat.core.config.ConnectionConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/** Whether anything still answers on the old master's address: a reason never to promote or copy it blindly. */
final class MasterAddress {
    private MasterAddress() {
    }

    static boolean answers(ConnectionConfig master) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(master.host(), master.port()),
                    (int) Math.min(Integer.MAX_VALUE, master.connectTimeout().toMillis()));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
