package dev.attune.streams.mining;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointsTest {
  @TempDir Path dir;

  private Path checkpoint(String job, int n, long writtenMs, boolean complete) throws Exception {
    Path chk = Files.createDirectories(dir.resolve(job).resolve("chk-" + n));
    if (complete) Files.setLastModifiedTime(Files.writeString(chk.resolve("_metadata"), "m"), FileTime.fromMillis(writtenMs));
    return chk;
  }

  @Test
  void resume_from_the_newest_complete_checkpoint_of_any_earlier_run() throws Exception {
    checkpoint("job-a", 7, 1_000, true);
    Path newest = checkpoint("job-b", 2, 2_000, true);
    checkpoint("job-b", 3, 3_000, false);

    assertThat(Checkpoints.latest(dir)).as("chk-3 was cut off before its metadata").contains(newest);
    assertThat(Checkpoints.latest(dir.resolve("none"))).isEmpty();
  }
}
