package dev.attune.trainers.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import org.junit.jupiter.api.Test;

class DeviceNameTest {
  @Test
  void a_bare_gpu_means_the_first_and_an_index_may_follow_a_colon() {
    assertThat(BertEncoder.parseDevice("cpu")).isEqualTo(Device.cpu());
    assertThat(BertEncoder.parseDevice("gpu")).isEqualTo(Device.gpu(0));
    assertThat(BertEncoder.parseDevice("gpu:1")).isEqualTo(Device.gpu(1));
    assertThat(BertEncoder.parseDevice("GPU2")).isEqualTo(Device.gpu(2));
  }

  @Test
  void anything_else_is_refused_with_the_forms_it_takes() {
    assertThatThrownBy(() -> BertEncoder.parseDevice("cuda:0")).hasMessageContaining("expected cpu, gpu or gpu:N");
    assertThatThrownBy(() -> BertEncoder.parseDevice("cpu:1")).hasMessageContaining("expected cpu, gpu or gpu:N");
  }
}
