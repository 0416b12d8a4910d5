package io.hearth.scheduler.cluster;

/**
 * How a job lives in the Hazelcast {@code hearth.jobs} map: the {@code Job} protobuf as bytes, with
 * the few fields that queries and indexes need copied beside it (Compact serialization reads them
 * without decoding the job).
 */
public record StoredJob(String jobId, String owner, int state, int tier, byte[] job) {}
