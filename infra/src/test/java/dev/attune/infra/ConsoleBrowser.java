package dev.attune.infra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * A real browser for the console's test: Debian's headless chromium, driven through Debian's
 * chromedriver with Selenium (no driver or browser download: both are given by path). Where they
 * are not installed the browser test is skipped, saying so, unless {@code ATTUNE_REQUIRE_BROWSER=1}
 * (set by {@code .ci/run}, which installs them), where it fails.
 */
final class ConsoleBrowser implements AutoCloseable {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path DRIVER = Path.of("/usr/bin/chromedriver");
  private final URI base;
  private final ChromeDriver driver;

  ConsoleBrowser(URI base, Path profile) {
    this.base = base;
    ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile());
    // The flags this machine's closed network needs (no background connections, no QUIC) and a fresh profile.
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1280,1800",
        "--user-data-dir=" + profile.toAbsolutePath());
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile()).usingAnyFreePort().build();
    driver = new ChromeDriver(service, options);
    driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
    // A click that submits a form returns before the next page is there: lookups wait for what they ask for.
    driver.manage().timeouts().implicitlyWait(Duration.ofSeconds(10));
  }

  /** Skips (or, where the browser is required, fails) the calling test when chromium and chromedriver are not installed. */
  static void assumeInstalled() {
    boolean installed = Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER);
    String why = "the console's browser test needs Debian's chromium and chromium-driver (" + CHROMIUM + ", " + DRIVER + "): apt-get install chromium chromium-driver";
    if (!installed && "1".equals(System.getenv("ATTUNE_REQUIRE_BROWSER"))) Assertions.fail(why);
    Assumptions.assumeTrue(installed, why);
  }

  /** Opens a console page; returns the page's visible text. */
  String open(String path) {
    driver.get(base.resolve(path).toString());
    return driver.findElement(By.tagName("body")).getText();
  }

  String text(String css) {
    return find(css).getText();
  }

  WebElement find(String css) {
    return driver.findElement(By.cssSelector(css));
  }

  int count(String css) {
    return driver.findElements(By.cssSelector(css)).size();
  }

  /** The whole page as a PNG, beyond the window's height. */
  void screenshot(Path file) {
    Map<String, Object> shot = driver.executeCdpCommand("Page.captureScreenshot", Map.of("format", "png", "captureBeyondViewport", true));
    try {
      Files.createDirectories(file.getParent());
      Files.write(file, Base64.getDecoder().decode((String) shot.get("data")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    driver.quit();
  }
}
