global using Econtext.TransportTests.Infrastructure;
global using Econtext.TransportTests.Remote;
global using Xunit;
global using Xunit.Abstractions;
