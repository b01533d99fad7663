package io.lifeboat.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.lifeboat.core.config.ArchiveTarget;
import io.lifeboat.core.config.ConfigLoader;
import io.lifeboat.core.config.LifeboatConfig;
import io.lifeboat.core.config.LoadedConfig;
import io.lifeboat.testkit.PgpKeys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * The deployment files (docker-compose.yml, Dockerfile, deploy/) checked without a Docker engine or systemd: what
 * they refer to exists, every variable is defined, the mounted config loads with Lifeboat's own loader as the
 * container sees it, and the systemd unit agrees with the image and the README's install steps.
 */
class DeploymentFilesTest {
    /** Surefire runs in the module's directory; the deployment files are at the repository's top. */
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final String CONFIG_IN_CONTAINER = "/etc/lifeboat/lifeboat.yml";
    private static final String JAR = "/opt/lifeboat/lifeboat.jar";
    /** ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, $NAME; $$ is a literal dollar sign. */
    private static final Pattern VARIABLE = Pattern.compile(
            "\\$(?:\\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?}|([A-Za-z_][A-Za-z0-9_]*))");

    @TempDir
    Path dir;

    private static String read(String relative) throws IOException {
        return Files.readString(ROOT.resolve(relative), StandardCharsets.UTF_8);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> compose() throws IOException {
        return new Yaml().load(read("docker-compose.yml"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value) {
        return value == null ? Map.of() : (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object value) {
        return value == null ? List.of() : (List<Object>) value;
    }

    private static Map<String, Object> services() throws IOException {
        return map(compose().get("services"));
    }

    private static String section(String readme, String heading) {
        int start = readme.indexOf("\n## " + heading + "\n");
        assertThat(start).as("README section " + heading).isNotNegative();
        int end = readme.indexOf("\n## ", start + 1);
        return readme.substring(start, end < 0 ? readme.length() : end);
    }

    /** The values .env.example gives, in its order. */
    private static Map<String, String> envExample() throws IOException {
        Map<String, String> values = new LinkedHashMap<>();
        for (String line : read(".env.example").split("\n")) {
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            int eq = trimmed.indexOf('=');
            assertThat(eq).as(".env.example line " + line).isPositive();
            values.put(trimmed.substring(0, eq), trimmed.substring(eq + 1));
        }
        return values;
    }

    /** Compose's interpolation of one string with no .env: defaults apply, $$ is a dollar sign. */
    private static String interpolate(String text) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            if (text.startsWith("$$", i)) {
                out.append('$');
                i += 2;
                continue;
            }
            Matcher m = VARIABLE.matcher(text);
            if (text.charAt(i) == '$' && m.find(i) && m.start() == i) {
                out.append(m.group(3) != null && m.group(2).endsWith("-") ? m.group(3) : "");
                i = m.end();
                continue;
            }
            out.append(text.charAt(i++));
        }
        return out.toString();
    }

    @Test
    void everyVariableOfTheComposeFile_hasADefaultOrIsInEnvExample_withTheSameValue() throws IOException {
        String text = read("docker-compose.yml").replace("$$", "");
        Map<String, String> example = envExample();
        Set<String> used = new LinkedHashSet<>();
        Matcher m = VARIABLE.matcher(text);
        List<String> undefined = new ArrayList<>();
        List<String> disagreeing = new ArrayList<>();
        while (m.find()) {
            String name = m.group(1) != null ? m.group(1) : m.group(4);
            used.add(name);
            boolean hasDefault = m.group(2) != null && m.group(2).endsWith("-");
            if (!hasDefault && !example.containsKey(name)) {
                undefined.add(m.group());
            }
            if (hasDefault && example.containsKey(name) && !example.get(name).equals(m.group(3))) {
                disagreeing.add(name + ": compose default " + m.group(3) + ", .env.example " + example.get(name));
            }
        }
        assertThat(used).as("variables of docker-compose.yml").isNotEmpty();
        assertThat(undefined).as("variables with neither a default nor a line in .env.example").isEmpty();
        assertThat(disagreeing).as("defaults .env.example shows differently").isEmpty();
        assertThat(example.keySet()).as(".env.example lines docker-compose.yml never reads").isSubsetOf(used);
    }

    @Test
    void theLifeboatImage_isBuiltFromThisRepositorysDockerfile_andCopiesWhatMavenBuilds() throws IOException {
        Map<String, Object> build = map(map(services().get("lifeboat")).get("build"));
        Path context = ROOT.resolve((String) build.get("context")).normalize();
        assertThat(context).isEqualTo(ROOT);
        Path dockerfile = context.resolve((String) build.getOrDefault("dockerfile", "Dockerfile"));
        assertThat(dockerfile).isRegularFile();

        String text = Files.readString(dockerfile);
        // COPY sources from the build context exist; those from the build stage are what the cli module builds.
        Matcher copy = Pattern.compile("(?m)^COPY\\s+(--from=\\S+\\s+)?(\\S+)\\s+(\\S+)$").matcher(text);
        int copies = 0;
        while (copy.find()) {
            copies++;
            String source = copy.group(2);
            if (copy.group(1) == null) {
                if (!source.equals(".")) {
                    assertThat(context.resolve(source)).as("COPY " + source).exists();
                }
            } else {
                assertThat(source).startsWith("/src/cli/target/");
            }
        }
        assertThat(copies).isGreaterThanOrEqualTo(3);
        assertThat(text).contains("COPY --from=build /src/cli/target/lifeboat.jar " + JAR);
        // The jar's name is the cli module's finalName, and its Class-Path points into lib/.
        assertThat(read("cli/pom.xml")).contains("<finalName>lifeboat</finalName>", "<classpathPrefix>lib/</classpathPrefix>");
        assertThat(text).contains("COPY --from=build /src/cli/target/lib/ /opt/lifeboat/lib/");
        assertThat(text).containsPattern("(?m)^USER lifeboat$");
        assertThat(text).contains("pg_dump", "pg_dumpall", "pg_restore", "pg_amcheck", "openjdk-17-jre-headless",
                "postgresql-15");
        assertThat(read("deploy/lifeboat")).contains("-jar " + JAR);
    }

    @Test
    void theLifeboatService_runsTheMountedConfig() throws IOException {
        Map<String, Object> lifeboat = map(services().get("lifeboat"));
        assertThat(list(lifeboat.get("command"))).containsExactly("-c", CONFIG_IN_CONTAINER, "run");
        assertThat(read("Dockerfile")).contains("ENTRYPOINT [\"/usr/local/bin/lifeboat\"]");
        assertThat(mounts(lifeboat)).containsEntry(CONFIG_IN_CONTAINER, "./deploy/lifeboat.yml");
    }

    /** Each bind mount of a service: target in the container → source relative to the compose file. */
    private static Map<String, String> mounts(Map<String, Object> service) {
        Map<String, String> mounts = new LinkedHashMap<>();
        for (Object volume : list(service.get("volumes"))) {
            if (volume instanceof String shortForm) {
                String[] parts = shortForm.split(":");
                if (parts[0].startsWith(".") || parts[0].startsWith("/")) {
                    mounts.put(parts[1], parts[0]);
                }
            } else {
                Map<String, Object> longForm = map(volume);
                if ("bind".equals(longForm.get("type"))) {
                    mounts.put((String) longForm.get("target"), (String) longForm.get("source"));
                }
            }
        }
        return mounts;
    }

    /** Each secret of a service: target in the container → the secret's file, relative to the compose file. */
    private static Map<String, String> secrets(Map<String, Object> compose, Map<String, Object> service) {
        Map<String, Object> declared = map(compose.get("secrets"));
        Map<String, String> secrets = new LinkedHashMap<>();
        for (Object entry : list(service.get("secrets"))) {
            String source = entry instanceof String name ? name : (String) map(entry).get("source");
            String target = entry instanceof String ? null : (String) map(entry).get("target");
            if (target == null) {
                target = "/run/secrets/" + source;
            } else if (!target.startsWith("/")) {
                target = "/run/secrets/" + target;
            }
            assertThat(declared).as("secrets: " + source).containsKey(source);
            secrets.put(target, (String) map(declared.get(source)).get("file"));
        }
        return secrets;
    }

    @Test
    void everyFileAServiceMounts_existsOrIsMadeByTheInstallSteps() throws Exception {
        Map<String, Object> compose = compose();
        String install = section(read("README.md"), "Install");
        Path made = runInitSecrets();
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, Object> service : map(compose.get("services")).entrySet()) {
            for (String source : mounts(map(service.getValue())).values()) {
                Path path = ROOT.resolve(source).normalize();
                boolean told = install.contains(ROOT.relativize(path).toString());
                if (!Files.exists(path) && !told) {
                    missing.add(service.getKey() + ": " + source);
                }
            }
            for (String file : secrets(compose, map(service.getValue())).values()) {
                Path path = ROOT.resolve(file).normalize();
                assertThat(path.getParent()).as("secret " + file).isEqualTo(ROOT.resolve("deploy/secrets"));
                if (!Files.isRegularFile(made.resolve(path.getFileName()))) {
                    missing.add(service.getKey() + ": " + file + " (not made by deploy/init-secrets)");
                }
            }
        }
        assertThat(missing).isEmpty();
        // What the operator makes is never committed.
        assertThat(read(".gitignore")).contains("/deploy/secrets/", "/deploy/keys/", "/.env");
    }

    @Test
    void noPasswordIsGivenAsAnEnvironmentValue() throws IOException {
        for (Map.Entry<String, Object> service : services().entrySet()) {
            for (String name : map(map(service.getValue()).get("environment")).keySet()) {
                if (name.matches(".*(PASSWORD|SECRET).*")) {
                    assertThat(name).as(service.getKey() + " environment").endsWith("_FILE");
                }
            }
        }
    }

    @Test
    void theHostsTheConfigNames_areServicesOfTheComposeFile() throws Exception {
        LifeboatConfig config = loadAsTheContainerSeesIt().config();
        Set<String> services = services().keySet();
        assertThat(services).contains(config.master().host(), config.standby().host());
        List<String> endpoints = config.archive().targets().stream()
                .filter(ArchiveTarget.S3.class::isInstance).map(ArchiveTarget.S3.class::cast)
                .map(t -> t.endpoint().orElseThrow().getHost()).toList();
        assertThat(endpoints).isNotEmpty();
        assertThat(services).containsAll(endpoints);
        // The bucket the config writes to is the one s3-init creates.
        String init = String.join(" ", list(map(services().get("s3-init")).get("command")).stream()
                .map(String::valueOf).toList());
        config.archive().targets().stream().filter(ArchiveTarget.S3.class::isInstance)
                .map(t -> ((ArchiveTarget.S3) t).bucket())
                .forEach(bucket -> assertThat(init).contains("mc mb --ignore-existing store/" + bucket));
    }

    @Test
    void theMountedConfig_loadsWithLifeboatsOwnLoader_withoutAProblem() throws Exception {
        LoadedConfig loaded = loadAsTheContainerSeesIt();
        LifeboatConfig config = loaded.config();
        // Secrets as files: the passwords and the S3 key come from the mounted secrets, not from the file itself.
        assertThat(config.master().passwordFile()).isPresent();
        assertThat(config.standby().passwordFile()).isPresent();
        assertThat(config.master().password()).isPresent();
        assertThat(config.archive().recipients()).isNotEmpty();
        assertThat(config.recovery().rpo()).isPresent();
        assertThat(config.recovery().rto()).isPresent();
        if (isRoot()) {
            // init-secrets as root makes the files 0640: nothing for Lifeboat to warn about.
            assertThat(loaded.warnings()).isEmpty();
        }
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** Runs deploy/init-secrets into a temporary directory, as the install steps run it into deploy/secrets. */
    private Path runInitSecrets() throws Exception {
        Path secrets = dir.resolve("made-secrets");
        Process process = new ProcessBuilder(ROOT.resolve("deploy/init-secrets").toString(), secrets.toString())
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        return secrets;
    }

    /**
     * The lifeboat container's view: every file Compose mounts into it placed at its target under a temporary root
     * (the secrets as deploy/init-secrets makes them, the public key the operator supplies as a generated one),
     * then the config loaded from there with the environment Compose gives the container.
     */
    private LoadedConfig loadAsTheContainerSeesIt() throws Exception {
        Map<String, Object> compose = compose();
        Map<String, Object> lifeboat = map(map(compose.get("services")).get("lifeboat"));
        Path container = dir.resolve("container");
        Path made = runInitSecrets();
        for (Map.Entry<String, String> mount : mounts(lifeboat).entrySet()) {
            Path target = container.resolve(mount.getKey().substring(1));
            Files.createDirectories(target.getParent());
            Path source = ROOT.resolve(mount.getValue()).normalize();
            if (Files.exists(source)) {
                Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
            } else {
                assertThat(target.getFileName().toString()).as("an absent mount other than the public key")
                        .endsWith(".pub.asc");
                PgpKeys.generate("Lifeboat backups <backup@example.com>", "pass".toCharArray())
                        .writeArmoredPublicKey(target);
            }
        }
        for (Map.Entry<String, String> secret : secrets(compose, lifeboat).entrySet()) {
            Path target = container.resolve(secret.getKey().substring(1));
            Files.createDirectories(target.getParent());
            Files.copy(made.resolve(Path.of(secret.getValue()).getFileName()), target,
                    StandardCopyOption.COPY_ATTRIBUTES);
        }
        Map<String, String> environment = new LinkedHashMap<>();
        map(lifeboat.get("environment")).forEach((name, value) -> environment.put(name, interpolate(String.valueOf(value))));
        return ConfigLoader.load(container.resolve(CONFIG_IN_CONTAINER.substring(1)), environment);
    }

    @Test
    void theSystemdUnit_runsTheInstalledJarAsTheUserTheInstallStepsCreate() throws IOException {
        Map<String, Map<String, List<String>>> unit = systemdUnit(read("deploy/lifeboat.service"));
        Map<String, List<String>> service = unit.get("Service");
        assertThat(unit.keySet()).containsExactly("Unit", "Service", "Install");
        assertThat(service.get("Type")).containsExactly("simple");
        assertThat(service.get("Restart")).containsExactly("on-failure");
        String user = service.get("User").get(0);
        assertThat(user).isEqualTo("lifeboat");
        List<String> exec = List.of(service.get("ExecStart").get(0).split("\\s+"));
        assertThat(exec.get(0)).isEqualTo("/usr/bin/java");
        assertThat(exec.get(exec.indexOf("-jar") + 1)).isEqualTo(JAR);
        assertThat(exec.subList(exec.indexOf("-jar") + 2, exec.size()))
                .containsExactly("-c", CONFIG_IN_CONTAINER, "run");
        for (String hardening : List.of("NoNewPrivileges=true", "ProtectSystem=strict", "ProtectHome=true",
                "PrivateTmp=true")) {
            String[] kv = hardening.split("=");
            assertThat(service.get(kv[0])).as(hardening).containsExactly(kv[1]);
        }
        assertThat(unit.get("Install").get("WantedBy")).containsExactly("multi-user.target");

        // The same jar path in the image and in the README's install steps, and the user is created there.
        assertThat(read("Dockerfile")).contains(JAR);
        String install = section(read("README.md"), "Install");
        assertThat(install).contains(JAR, "install -m 0644 deploy/lifeboat.service /etc/systemd/system/");
        assertThat(install).containsPattern("(?m)^useradd --system .*\\b" + user + "$");
        assertThat(install).contains("install -d -m 0750 -o root -g " + user + " /etc/lifeboat");
    }

    /** Sections of key=value lines; comments and blank lines skipped; a key may repeat (systemd appends). */
    private static Map<String, Map<String, List<String>>> systemdUnit(String text) {
        Map<String, Map<String, List<String>>> sections = new LinkedHashMap<>();
        Map<String, List<String>> current = null;
        int number = 0;
        for (String line : text.split("\n")) {
            number++;
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#") || trimmed.startsWith(";")) {
                continue;
            }
            if (trimmed.startsWith("[") && trimmed.endsWith("]")) {
                current = new LinkedHashMap<>();
                assertThat(sections.put(trimmed.substring(1, trimmed.length() - 1), current))
                        .as("section repeated at line " + number).isNull();
                continue;
            }
            int eq = trimmed.indexOf('=');
            assertThat(current).as("line " + number + " before any section").isNotNull();
            assertThat(eq).as("line " + number + " is not key=value: " + line).isPositive();
            assertThat(trimmed).as("line " + number + " continues").doesNotEndWith("\\");
            current.computeIfAbsent(trimmed.substring(0, eq), k -> new ArrayList<>()).add(trimmed.substring(eq + 1));
        }
        return sections;
    }
}
