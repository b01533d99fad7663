package io.lifeboat.cli.notify;

/**
 * A condition that is true now and someone should know of.
 *
 * @param key what identifies the condition across rounds ({@code job_failed:archive}): one alert per key
 * @param name the Alertmanager {@code alertname} ({@code LifeboatJobFailed})
 * @param severity {@code warning} or {@code critical}
 * @param summary one line
 * @param description what to do about it
 */
public record Alert(String key, String name, String severity, String summary, String description) {
}
