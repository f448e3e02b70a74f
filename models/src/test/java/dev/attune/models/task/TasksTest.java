package dev.attune.models.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TasksTest {
  @TempDir Path dir;

  @Test
  void a_file_overrides_and_extends_the_default_catalogue() throws Exception {
    Path file = dir.resolve("tasks.properties");
    Files.writeString(file, "qa.instruction=Represent this query for retrieving relevant documents: \nlegal.distillation=NONE\n");

    Tasks tasks = Tasks.load(file);

    assertThat(tasks.get("qa").queryText("who?")).isEqualTo("Represent this query for retrieving relevant documents: who?");
    assertThat(tasks.get("qa").distillation()).isEqualTo(Distillation.STABILISED);
    assertThat(tasks.get("legal")).isEqualTo(new TaskSpec("legal", "", Distillation.NONE));
    assertThat(tasks.instructions()).containsKeys("qa", "icl", "tool", "chat", "convsearch", "memory", "legal");
  }

  @Test
  void a_bad_distillation_names_the_task_and_the_choices() throws Exception {
    Path file = dir.resolve("tasks.properties");
    Files.writeString(file, "qa.distillation=softmax\n");

    assertThatThrownBy(() -> Tasks.load(file)).hasMessageContaining("qa.distillation is 'softmax'; expected NONE, KL or STABILISED");
  }
}
