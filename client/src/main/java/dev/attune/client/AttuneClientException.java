package dev.attune.client;

/** The server refused a call; {@link #status()} is the HTTP status (400 bad request, 401 unauthenticated, 503 not serving). */
public final class AttuneClientException extends RuntimeException {
  private final int status;

  public AttuneClientException(int status, String message) {
    super(message);
    this.status = status;
  }

  public int status() {
    return status;
  }
}
