package io.lifeboat.cli;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lifeboat.cli.demo.DemoWorld;
import io.lifeboat.cli.demo.Narrator;
import io.lifeboat.cli.demo.OrderLedger;
import io.lifeboat.core.config.ConfigLoader;
import io.lifeboat.core.config.LifeboatConfig;
import io.lifeboat.core.db.Lsn;
import io.lifeboat.core.db.Pools;
import io.lifeboat.migrations.CatalogMigrator;
import io.lifeboat.replicator.BackgroundReplication;
import io.lifeboat.replicator.Replicator;
import io.lifeboat.testkit.PgpKeys;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"The whole story on embedded parts, narrated: a master (on a btrfs loop volume as root) and a",
            "standby, an S3 server, a key pair; replication under a write load, a snapshot, an encrypted archive to S3",
            "and a second target, status; then the master's data directory is destroyed while the application writes,",
            "and recover --auto brings the database back. The last step proves that every order committed before the",
            "recovery point is there. Needs local PostgreSQL binaries; leaves nothing behind unless --keep.",
            "Exit 0 when the proof holds."})
final class DemoCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @ParentCommand
    LifeboatCommand root;

    @Option(names = "--keep", description = "Leave everything running at the end, print how to connect, and wait for"
            + " Ctrl-C to stop and remove it.")
    boolean keep;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Map<String, Level> levels = root.verbose ? Map.of() : quietLogs();
        DemoWorld world = new DemoWorld();
        Narrator story = new Narrator(out, world::isInterrupted);
        OrderLedger shop = new OrderLedger();
        try {
            int exit = tell(story, world, shop);
            if (keep) {
                keepRunning(story, world);
            }
            return exit;
        } finally {
            shop.stop();
            world.close();
            levels.forEach((name, level) -> logger(name).setLevel(level));
        }
    }

    /**
     * The story is told by the narration and the commands' own output; the parts' progress logs (initdb, the S3
     * server's web server, the replicator losing its master on purpose) would drown it. -v shows them all.
     */
    private static Map<String, Level> quietLogs() {
        Map<String, Level> previous = new HashMap<>();
        Map<String, Level> quiet = Map.of(org.slf4j.Logger.ROOT_LOGGER_NAME, Level.WARN, "io.debezium", Level.OFF,
                "io.lifeboat.replicator", Level.ERROR);
        quiet.forEach((name, level) -> {
            previous.put(name, logger(name).getLevel());
            logger(name).setLevel(level);
        });
        return previous;
    }

    private static ch.qos.logback.classic.Logger logger(String name) {
        return (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(name);
    }

    private int tell(Narrator story, DemoWorld world, OrderLedger shop) throws Exception {
        story.step("Starting a master and an empty standby (PostgreSQL on 127.0.0.1)…");
        String volume = world.startDatabases();
        story.say("master  127.0.0.1:" + world.master().port() + ", its data directory " + volume);
        story.say("standby 127.0.0.1:" + world.standby().port() + ", its data directory in "
                + world.standby().dataDirectory() + "; same schema (customers, orders), no rows yet");

        story.step("Starting an embedded S3 server, where the encrypted archives will go…");
        world.startS3();
        story.say("S3 at " + world.s3().endpoint() + ", bucket 'backups'");

        story.step("Generating an OpenPGP key pair: the server only ever needs the public key; recovery needs the"
                + " private one…");
        PgpKeys keys = world.generateKeys();
        story.say("key " + keys.fingerprint() + ": backup.pub.asc for the server, backup.key.asc kept for recovery");

        story.step("Writing the configuration that ties it all together…");
        Path configFile = world.writeConfig();
        story.say(configFile.toString() + ":");
        story.show(Files.readString(configFile));

        story.step("Starting replication to the standby while the application places orders on the master…");
        LifeboatConfig config = ConfigLoader.load(configFile).config();
        Pools pools = world.track(new Pools(config));
        new CatalogMigrator(pools.standby()).migrate();
        BackgroundReplication replication = new Replicator(config.master(), config.replication(), pools.master(),
                pools.standby()).startInBackground();
        world.track(replication::close);
        shop.start(() -> world.master().connect("shop"));
        shop.awaitMore(200, 60);
        awaitStandbyHas(world, shop.maxId(), replication);
        story.say(shop.size() + " orders committed on the master so far; the standby has caught up with order "
                + shop.maxId() + " and follows as the application keeps writing");

        story.step("Taking a snapshot of the master's volume (lifeboat snapshot take)…");
        if (!lifeboat(story, configFile, "snapshot", "take")) {
            return stopped(story, "snapshot take");
        }

        story.step("Archiving the standby: compressed, encrypted to the public key, to S3 and copied to a second"
                + " (filesystem) target (lifeboat archive run)…");
        if (!lifeboat(story, configFile, "archive", "run")) {
            return stopped(story, "archive run");
        }

        story.step("How recoverable are we? (lifeboat status)…");
        shop.awaitMore(100, 60);
        lifeboat(story, configFile, "status");
        story.say("(warn: nothing has been verified or validated yet, a job the long-running service does on its own)");

        story.step("Now the master's data directory is destroyed while the application is still writing…");
        int before = shop.size();
        world.destroyMaster();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (shop.writing() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        story.say("the master's server was killed and everything in " + world.master().dataDirectory()
                + " removed (rm -rf)");
        story.say("the application had committed " + shop.size() + " orders (" + (shop.size() - before)
                + " during this step); its next write failed: "
                + (shop.lastError() == null ? "no error" : firstLine(shop.lastError().getMessage())));
        replication.close();
        story.say("the replicator, which has nothing left to read from, is stopped");

        story.step("What can we recover from? Every rung of the ladder is probed and checked, nothing is changed"
                + " (lifeboat recover --auto --dry-run)…");
        lifeboat(story, configFile, "recover", "--auto", "--dry-run");

        story.step("Recovering (lifeboat recover --auto)…");
        Path report = world.directory().resolve("recovery-report.json");
        if (!lifeboat(story, configFile, "recover", "--auto", "--report", report.toString())) {
            return stopped(story, "recover --auto");
        }
        JsonNode recovered = JSON.readTree(report.toFile());
        for (String log : List.of("fenced.log", "switched.log")) {
            Path file = world.directory().resolve(log);
            if (Files.exists(file)) {
                story.say(log + ": " + Files.readString(file).strip());
            }
        }

        story.step("The proof: is every order committed before the recovery point in the recovered database?");
        return prove(story, shop, recovered) ? ExitCode.OK.code() : ExitCode.ERROR.code();
    }

    private static int stopped(Narrator story, String command) {
        story.finish("the demo stopped: lifeboat " + command + " failed (its error is above)");
        return ExitCode.ERROR.code();
    }

    private boolean prove(Narrator story, OrderLedger shop, JsonNode report) throws SQLException {
        JsonNode up = report.get("recovered");
        Lsn claimed = Lsn.parse(up.get("lsn").asText());
        String host = up.get("host").asText();
        int port = up.get("port").asInt();
        String database = up.get("database").asText();
        story.say("recovered by rung " + report.at("/chosen/rung").asText() + " at " + host + ":" + port + "/"
                + database + "; it holds the master's changes up to " + claimed);
        OrderLedger.Proof proof;
        try (Connection connection = connect(host, port, database)) {
            proof = shop.prove(claimed, OrderLedger.ids(connection));
        }
        int present = proof.mustHave() - proof.missing().size();
        story.say(present + " of " + proof.mustHave() + " transactions committed before the recovery point are"
                + " present; " + proof.lostAfter() + " written after it were lost ("
                + String.format(Locale.ROOT, "%.1f", proof.lostSeconds()) + " s of writes)");
        if (!proof.missing().isEmpty() || proof.mustHave() == 0) {
            story.say("MISSING: " + proof.missing().subList(0, Math.min(20, proof.missing().size())));
            story.finish("the proof FAILED");
            return false;
        }
        story.finish("the proof holds: nothing committed before the recovery point was lost");
        return true;
    }

    /** Runs one real lifeboat command in this JVM and shows what it printed; true when it exits 0 or warns (1). */
    private boolean lifeboat(Narrator story, Path configFile, String... command) {
        List<String> args = new ArrayList<>(List.of("-c", configFile.toString()));
        args.addAll(List.of(command));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args.toArray(String[]::new));
        story.show(out.toString());
        story.show(err.toString());
        if (exit != 0) {
            story.say("(lifeboat " + String.join(" ", command) + " exited " + exit + ")");
        }
        return exit <= 1;
    }

    private void keepRunning(Narrator story, DemoWorld world) throws InterruptedException {
        story.say("");
        story.say("Everything is still running (--keep). The recovered database:");
        story.say("  psql -h 127.0.0.1 -p " + world.standby().port() + " -U postgres shop");
        story.say("the S3 server: " + world.s3().endpoint() + " (bucket backups, access key " + world.s3().accessKey()
                + ")");
        story.say("the configuration: lifeboat -c " + world.config() + " status");
        story.say("Press Ctrl-C to stop and remove everything.");
        Thread.sleep(Long.MAX_VALUE);
    }

    private static void awaitStandbyHas(DemoWorld world, long id, BackgroundReplication replication)
            throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + 120_000_000_000L;
        try (Connection standby = world.standby().connect("shop"); Statement statement = standby.createStatement()) {
            while (System.nanoTime() < deadline) {
                try (ResultSet row = statement.executeQuery("SELECT coalesce(max(id), 0) FROM orders")) {
                    row.next();
                    if (row.getLong(1) >= id) {
                        return;
                    }
                }
                if (replication.failure().isPresent()) {
                    throw new IllegalStateException("replication failed: " + replication.failure().get().getMessage(),
                            replication.failure().get());
                }
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("the standby did not receive order " + id + " within 120 s");
    }

    private static Connection connect(String host, int port, String database) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", "postgres");
        return DriverManager.getConnection("jdbc:postgresql://" + host + ":" + port + "/" + database, properties);
    }

    private static String firstLine(String text) {
        return text == null ? "" : text.lines().findFirst().orElse("");
    }
}
