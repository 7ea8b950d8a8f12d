#include "jobs/job_record.h"

#include <gtest/gtest.h>

namespace stasis::jobs {
namespace {

TEST(JobRecordTest, StatusNamesRoundTrip) {
  for (JobStatus s : {JobStatus::kRunning, JobStatus::kExited, JobStatus::kKilled,
                      JobStatus::kDumped, JobStatus::kLost}) {
    JobStatus parsed = JobStatus::kLost;
    ASSERT_TRUE(ParseJobStatus(JobStatusName(s), &parsed)) << JobStatusName(s);
    EXPECT_EQ(parsed, s);
  }
  EXPECT_STREQ(JobStatusName(JobStatus::kRunning), "running");
  EXPECT_STREQ(JobStatusName(JobStatus::kDumped), "dumped");
}

TEST(JobRecordTest, UnknownStatusNamesAreRejected) {
  JobStatus out = JobStatus::kDumped;
  EXPECT_FALSE(ParseJobStatus("paused", &out));
  EXPECT_FALSE(ParseJobStatus("Running", &out));
  EXPECT_FALSE(ParseJobStatus("", &out));
  EXPECT_EQ(out, JobStatus::kDumped) << "left untouched on failure";
}

}  // namespace
}  // namespace stasis::jobs
