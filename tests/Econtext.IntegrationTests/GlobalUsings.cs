global using Econtext.IntegrationTests.Infrastructure;
global using Econtext.IntegrationTests.Remote;
global using Xunit;
